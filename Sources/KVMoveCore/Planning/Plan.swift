/// The plan: everything apply needs, and everything a reviewer reads.
///
/// The plan is the only input to apply. Fields documented "for display only" never influence
/// what apply does.
package struct Plan: Codable, Hashable, Sendable {
    /// The JSON format version; minor bumps are additive, major bumps break readers.
    package static let formatVersion = "1.1"

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

/// Step counts per action, for the `Plan: …` line.
package struct PlanSummary: Codable, Hashable, Sendable {
    package var create: Int
    package var change: Int
    package var release: Int
    package var check: Int

    package init(steps: [Step]) {
        create = steps.count { $0.action == .create }
        change = steps.count { $0.action == .change }
        release = steps.count { $0.action == .release }
        check = steps.count { $0.action == .check }
    }

    /// The `Plan: N to create, N to change, N to release, N to wait/check.` summary line.
    package var line: String {
        "Plan: \(create) to create, \(change) to change, \(release) to release, \(check) to wait/check."
    }
}

/// The steps of one migration and the observation they were computed from.
package struct MigrationPlan: Codable, Hashable, Sendable {
    package var spec: MigrationSpec
    /// The stage observed before planning, for display only.
    package var observedStage: ObservedStage
    /// Ids known at plan time: source, group, target.
    package var resources: KnownResources
    package var steps: [Step]
    /// Things a reviewer should know that do not stop the plan.
    package var warnings: [String]
    /// The observed facts this plan relies on.
    package var facts: [String: String]
    /// Provider settings fixed at plan time (see ``ObservedMigration/settings``); apply uses these.
    package var settings: [String: String]

    package init(
        spec: MigrationSpec,
        observedStage: ObservedStage,
        resources: KnownResources,
        steps: [Step],
        warnings: [String],
        facts: [String: String],
        settings: [String: String] = [:]
    ) {
        self.spec = spec
        self.observedStage = observedStage
        self.resources = resources
        self.steps = steps
        self.warnings = warnings
        self.facts = facts
        self.settings = settings
    }
}

/// Resource ids a step needs; filled at plan time where known and during apply as steps create them.
package struct KnownResources: Codable, Hashable, Sendable {
    package var sourceId: String
    package var groupId: String?
    package var targetId: String?

    package init(sourceId: String, groupId: String? = nil, targetId: String? = nil) {
        self.sourceId = sourceId
        self.groupId = groupId
        self.targetId = targetId
    }

    /// The id of `reference`, when known.
    package func id(of reference: ResourceReference) -> String? {
        switch reference {
        case .group: groupId
        case .target: targetId
        }
    }
}

/// How far a migration has got, as derived from observed state.
package enum ObservedStage: String, Codable, Hashable, Sendable {
    /// No target yet.
    case notStarted = "not-started"
    /// The target is in the group with the source.
    case syncing
    /// Sync was disconnected; the target stands alone and the source still exists.
    case cutOver = "cut-over"
    /// The source and group are gone; the target stands alone.
    case completed

    /// The spec stage this observed stage has reached, if any.
    package var reached: Stage? {
        switch self {
        case .notStarted, .syncing: nil
        case .cutOver: .cutover
        case .completed: .complete
        }
    }
}
