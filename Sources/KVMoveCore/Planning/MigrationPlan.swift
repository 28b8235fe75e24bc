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
