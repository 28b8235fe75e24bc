/// The plan: everything apply needs, and everything a reviewer reads.
///
/// The plan is the only input to apply. Fields documented "for display only" never influence
/// what apply does.
package struct Plan: Codable, Hashable, Sendable {
    /// The JSON format version; minor bumps are additive, major bumps break readers.
    package static let formatVersion = "1.2"

    package var formatVersion: String
    package var toolVersion: String
    /// When the plan was made, ISO 8601, for display only.
    package var createdAt: String
    package var migrations: [MigrationPlan]

    package init(toolVersion: String, createdAt: String, migrations: [MigrationPlan]) {
        self.formatVersion = Plan.formatVersion
        self.toolVersion = toolVersion
        self.createdAt = createdAt
        self.migrations = migrations
    }

    /// Every step of every migration, migrations in name order, steps in dependency order.
    package var steps: [Step] { migrations.flatMap(\.steps) }

    /// True when at least one step is planned.
    package var hasChanges: Bool { migrations.contains { !$0.steps.isEmpty } }

    /// All warnings, in migration order, for display first.
    package var warnings: [String] { migrations.flatMap { m in m.warnings.map { "\(m.spec.name): \($0)" } } }

    /// Step counts per action.
    package var summary: PlanSummary { PlanSummary(steps: steps) }
}
