/// What a provider saw, for one migration, at one moment.
///
/// Observed state is the truth: there is no state file. Each field answers one question the
/// planner asks; `nil` means "does not exist".
package struct ObservedMigration: Codable, Hashable, Sendable {
    /// The source instance, or nil when no instance has the spec's id.
    package var source: ObservedInstance?
    /// The group the source belongs to, if any (ours or someone else's).
    package var sourceGroup: ObservedGroup?
    /// The target: the instance tagged `kvmove:migration=<name>`, if any.
    package var target: ObservedInstance?
    /// An instance in the target region whose name is the spec's target name but which kvmove
    /// did not create for this migration.
    package var nameConflict: ObservedInstance?
    /// The group this migration created (tagged, or named `activeActive.name`), if any.
    package var group: ObservedGroup?
    /// The target VPC, or nil when it does not exist.
    package var targetVPC: ObservedVPC?
    /// The target vSwitch, or nil when it does not exist.
    package var targetVSwitch: ObservedVSwitch?
    /// The sync channel from source to target, when the target is in the group.
    package var sync: ObservedSync?
    /// The last data verification recorded for this migration's target, if any.
    package var verification: ObservedVerification?
    /// Provider settings chosen while observing (for `local`, the sandbox directory), fixed in the plan
    /// so apply acts where plan looked.
    package var settings: [String: String]
    /// What the provider's sync channel does and does not carry, for the risk notes of the steps that rely
    /// on it (create-target, wait-full-sync, disconnect-sync).
    package var channelRisks: [String]
    /// Channel risks that start with this describe the channel in general; the others, what it did in this
    /// migration (they are repeated at disconnect-sync).
    package static let generalChannelRiskPrefix = "the channel "
    /// Steps the provider cannot carry out for this migration where it is (for example a call the cloud offers
    /// on one site only), keyed by ``StepKind`` raw value: the planner refuses a plan that needs one, with the
    /// provider's reason and what to do, instead of planning a step that would fail.
    package var unsupportedSteps: [String: UnsupportedStep]
    /// What the planner should tell the reviewer about this migration, from the provider (display only).
    package var notes: [String]

    package init(
        source: ObservedInstance? = nil,
        sourceGroup: ObservedGroup? = nil,
        target: ObservedInstance? = nil,
        nameConflict: ObservedInstance? = nil,
        group: ObservedGroup? = nil,
        targetVPC: ObservedVPC? = nil,
        targetVSwitch: ObservedVSwitch? = nil,
        sync: ObservedSync? = nil,
        verification: ObservedVerification? = nil,
        settings: [String: String] = [:],
        channelRisks: [String] = [],
        unsupportedSteps: [String: UnsupportedStep] = [:],
        notes: [String] = []
    ) {
        self.source = source
        self.sourceGroup = sourceGroup
        self.target = target
        self.nameConflict = nameConflict
        self.group = group
        self.targetVPC = targetVPC
        self.targetVSwitch = targetVSwitch
        self.sync = sync
        self.verification = verification
        self.settings = settings
        self.channelRisks = channelRisks
        self.unsupportedSteps = unsupportedSteps
        self.notes = notes
    }

    private enum CodingKeys: String, CodingKey {
        case source, sourceGroup, target, nameConflict, group, targetVPC, targetVSwitch, sync, verification, settings
        case channelRisks, unsupportedSteps, notes
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            source: try c.decodeIfPresent(ObservedInstance.self, forKey: .source),
            sourceGroup: try c.decodeIfPresent(ObservedGroup.self, forKey: .sourceGroup),
            target: try c.decodeIfPresent(ObservedInstance.self, forKey: .target),
            nameConflict: try c.decodeIfPresent(ObservedInstance.self, forKey: .nameConflict),
            group: try c.decodeIfPresent(ObservedGroup.self, forKey: .group),
            targetVPC: try c.decodeIfPresent(ObservedVPC.self, forKey: .targetVPC),
            targetVSwitch: try c.decodeIfPresent(ObservedVSwitch.self, forKey: .targetVSwitch),
            sync: try c.decodeIfPresent(ObservedSync.self, forKey: .sync),
            verification: try c.decodeIfPresent(ObservedVerification.self, forKey: .verification),
            settings: try c.decodeIfPresent([String: String].self, forKey: .settings) ?? [:],
            channelRisks: try c.decodeIfPresent([String].self, forKey: .channelRisks) ?? [],
            unsupportedSteps: try c.decodeIfPresent([String: UnsupportedStep].self, forKey: .unsupportedSteps) ?? [:],
            notes: try c.decodeIfPresent([String].self, forKey: .notes) ?? [])
    }
}

/// A step a provider cannot carry out here: why, with what to do, and the spec field the refusal points at.
package struct UnsupportedStep: Codable, Hashable, Sendable {
    package var message: String
    /// The dotted spec path of the diagnostic, such as `spec.provider`.
    package var specPath: String

    package init(message: String, specPath: String) {
        self.message = message
        self.specPath = specPath
    }
}
