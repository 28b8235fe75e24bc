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

/// An instance as the provider reports it.
package struct ObservedInstance: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    /// The status: `Normal`, `Creating`, `Changing`, `MinorVersionUpgrading`, `Released` and so on.
    package var status: String
    /// The instance class (spec), such as `redis.master.small.default`.
    package var instanceClass: String
    package var engineVersion: String
    /// Shards of a cluster instance; nil for the standard (non-sharded) architecture.
    package var shardCount: Int?
    package var minorVersion: String
    /// False when the minor version is too old to run the sync channel.
    package var syncCapable: Bool
    package var billing: Billing
    /// The group this instance belongs to, if any.
    package var groupId: String?
    package var tags: [String: String]

    package init(
        id: String,
        name: String,
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        status: String = "Normal",
        instanceClass: String,
        engineVersion: String,
        shardCount: Int? = nil,
        minorVersion: String,
        syncCapable: Bool = true,
        billing: Billing = .postPaid,
        groupId: String? = nil,
        tags: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.status = status
        self.instanceClass = instanceClass
        self.engineVersion = engineVersion
        self.shardCount = shardCount
        self.minorVersion = minorVersion
        self.syncCapable = syncCapable
        self.billing = billing
        self.groupId = groupId
        self.tags = tags
    }

    /// The migration that created this instance, from its `kvmove:migration` tag.
    package var createdByMigration: String? { tags[Tags.migration] }
}

/// An active-active group.
package struct ObservedGroup: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    /// Member instance ids, first member first.
    package var members: [String]
    package var tags: [String: String]

    package init(id: String, name: String, members: [String], tags: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.members = members
        self.tags = tags
    }

    package var createdByMigration: String? { tags[Tags.migration] }
}

/// A VPC.
package struct ObservedVPC: Codable, Hashable, Sendable {
    package var id: String
    package var region: String

    package init(id: String, region: String) {
        self.id = id
        self.region = region
    }
}

/// A vSwitch: a subnet of one VPC in one zone.
package struct ObservedVSwitch: Codable, Hashable, Sendable {
    package var id: String
    package var vpcId: String
    package var zone: String

    package init(id: String, vpcId: String, zone: String) {
        self.id = id
        self.vpcId = vpcId
        self.zone = zone
    }
}

/// The state of the sync channel into the target.
package struct ObservedSync: Codable, Hashable, Sendable {
    /// Where the channel is.
    package enum Phase: String, Codable, Hashable, Sendable {
        /// Cloning and full sync are running.
        case initializing
        /// Full sync finished; changes flow both ways in real time.
        case synchronized
        /// The channel broke and needs attention.
        case failed
    }

    package var phase: Phase
    /// 0…1 while initializing, when the provider knows.
    package var progress: Double?
    /// A short provider message, such as the failure reason.
    package var message: String?

    package init(phase: Phase, progress: Double? = nil, message: String? = nil) {
        self.phase = phase
        self.progress = progress
        self.message = message
    }
}

/// A recorded verification of the target's data against the source.
package struct ObservedVerification: Codable, Hashable, Sendable {
    package var passed: Bool
    /// When it ran, ISO 8601.
    package var at: String
    package var summary: String

    package init(passed: Bool, at: String, summary: String) {
        self.passed = passed
        self.at = at
        self.summary = summary
    }
}

/// Tag keys kvmove puts on what it creates.
package enum Tags {
    /// `kvmove:migration=<metadata.name>`.
    package static let migration = "kvmove:migration"
}
