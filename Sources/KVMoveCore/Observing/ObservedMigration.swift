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
        settings: [String: String] = [:]
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
    }
}
