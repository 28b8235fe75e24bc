/// The typed values a step will apply: Terraform's planned "after" values.
///
/// The planner fills them from the spec and the observation (for the target: class, engine
/// version and shards copied from the observed source; zone, VPC, vSwitch, billing and names from
/// the spec). Apply reads them from the plan and from nowhere else, so a saved plan does what it
/// showed even if the spec file changed or moved since.
package enum PlannedValues: Codable, Hashable, Sendable {
    case upgradeMinorVersion(PlannedMinorVersionUpgrade)
    case group(PlannedGroup)
    case target(PlannedTarget)
    case rename(PlannedRename)
    case billing(PlannedBillingChange)
    case fullSync(PlannedFullSync)
    case verification(PlannedVerification)
    case gates(PlannedGates)
    case disconnect(PlannedDisconnect)
    case releaseInstance(PlannedInstanceRelease)
    case releaseGroup(PlannedGroupRelease)
    case securityIps(PlannedSecurityIps)
}

/// Set the target's whitelist groups named in the spec, each to exactly its list (other groups are left alone).
package struct PlannedSecurityIps: Codable, Hashable, Sendable {
    /// Known after apply when the target is created in the same plan.
    package var instanceId: String?
    /// Group name → IPv4 addresses and CIDR blocks, in the spec's order.
    package var groups: [String: [String]]

    package init(instanceId: String?, groups: [String: [String]]) {
        self.instanceId = instanceId
        self.groups = groups
    }
}

/// Upgrade the source's minor version so it can run the sync channel.
package struct PlannedMinorVersionUpgrade: Codable, Hashable, Sendable {
    package var instanceId: String
    package var fromMinorVersion: String

    package init(instanceId: String, fromMinorVersion: String) {
        self.instanceId = instanceId
        self.fromMinorVersion = fromMinorVersion
    }
}

/// Create the active-active group with the source as its first member.
package struct PlannedGroup: Codable, Hashable, Sendable {
    package var name: String
    package var seedInstanceId: String
    package var region: String
    package var tags: [String: String]

    package init(name: String, seedInstanceId: String, region: String, tags: [String: String]) {
        self.name = name
        self.seedInstanceId = seedInstanceId
        self.region = region
        self.tags = tags
    }
}

/// Create the target instance and join it to the group.
package struct PlannedTarget: Codable, Hashable, Sendable {
    package var name: String
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    package var billing: Billing
    /// Copied from the observed source.
    package var instanceClass: String
    /// Copied from the observed source.
    package var engineVersion: String
    /// Copied from the observed source; nil when the source is not sharded (standard architecture).
    package var shardCount: Int?
    /// The source this target copies.
    package var sourceInstanceId: String
    /// The group it joins; known after apply when the group is created in the same plan.
    package var groupId: String?
    package var tags: [String: String]

    package init(
        name: String,
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        billing: Billing,
        instanceClass: String,
        engineVersion: String,
        shardCount: Int?,
        sourceInstanceId: String,
        groupId: String?,
        tags: [String: String]
    ) {
        self.name = name
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.billing = billing
        self.instanceClass = instanceClass
        self.engineVersion = engineVersion
        self.shardCount = shardCount
        self.sourceInstanceId = sourceInstanceId
        self.groupId = groupId
        self.tags = tags
    }
}

/// Rename the existing target.
package struct PlannedRename: Codable, Hashable, Sendable {
    package var instanceId: String
    package var name: String

    package init(instanceId: String, name: String) {
        self.instanceId = instanceId
        self.name = name
    }
}

/// Change the existing target's billing.
package struct PlannedBillingChange: Codable, Hashable, Sendable {
    package var instanceId: String
    package var billing: Billing

    package init(instanceId: String, billing: Billing) {
        self.instanceId = instanceId
        self.billing = billing
    }
}

/// Wait for the group's initialization (clone + full sync) into the target.
package struct PlannedFullSync: Codable, Hashable, Sendable {
    package var sourceInstanceId: String
    /// Nil when the target is created in the same plan.
    package var targetInstanceId: String?
    /// Nil when the group is created in the same plan.
    package var groupId: String?
    /// How the data plane reaches both instances (`spec.connection`); nil: the provider's default.
    package var connection: ConnectionSpec?

    package init(
        sourceInstanceId: String, targetInstanceId: String?, groupId: String?, connection: ConnectionSpec? = nil
    ) {
        self.sourceInstanceId = sourceInstanceId
        self.targetInstanceId = targetInstanceId
        self.groupId = groupId
        self.connection = connection
    }
}

/// Compare the target's data with the source's.
package struct PlannedVerification: Codable, Hashable, Sendable {
    package var sourceInstanceId: String
    package var targetInstanceId: String?
    /// Largest accepted difference of remaining TTLs, in milliseconds.
    package var ttlToleranceMilliseconds: Int
    /// How the data plane reaches both instances (`spec.connection`); nil: the provider's default.
    package var connection: ConnectionSpec?
    /// How hard verification may read the source (`spec.verify`); nil: ``VerifySpec``'s defaults.
    package var verify: VerifySpec?

    package init(
        sourceInstanceId: String, targetInstanceId: String?, ttlToleranceMilliseconds: Int = 2000,
        connection: ConnectionSpec? = nil, verify: VerifySpec? = nil
    ) {
        self.sourceInstanceId = sourceInstanceId
        self.targetInstanceId = targetInstanceId
        self.ttlToleranceMilliseconds = ttlToleranceMilliseconds
        self.connection = connection
        self.verify = verify
    }
}

/// Check the cutover gates on the source (and, for lag, the channel into the target).
package struct PlannedGates: Codable, Hashable, Sendable {
    package var sourceInstanceId: String
    /// Nil when the target is created in the same plan.
    package var targetInstanceId: String?
    /// The source must have had no application connected for this many seconds.
    package var requireIdleSourceSeconds: Int?
    /// The channel must be less than this many seconds behind the source.
    package var maxLagSeconds: Int?
    /// The source must have had no application writes for this many seconds.
    package var requireNoSourceWritesSeconds: Int?
    /// How the data plane reaches both instances (`spec.connection`); nil: the provider's default.
    package var connection: ConnectionSpec?

    package init(
        sourceInstanceId: String, targetInstanceId: String?, requireIdleSourceSeconds: Int?,
        maxLagSeconds: Int? = nil, requireNoSourceWritesSeconds: Int? = nil, connection: ConnectionSpec? = nil
    ) {
        self.sourceInstanceId = sourceInstanceId
        self.targetInstanceId = targetInstanceId
        self.requireIdleSourceSeconds = requireIdleSourceSeconds
        self.maxLagSeconds = maxLagSeconds
        self.requireNoSourceWritesSeconds = requireNoSourceWritesSeconds
        self.connection = connection
    }
}

/// Take the target out of the group; its data stays.
package struct PlannedDisconnect: Codable, Hashable, Sendable {
    package var targetInstanceId: String?
    package var groupId: String?

    package init(targetInstanceId: String?, groupId: String?) {
        self.targetInstanceId = targetInstanceId
        self.groupId = groupId
    }
}

/// Release an instance and its data.
package struct PlannedInstanceRelease: Codable, Hashable, Sendable {
    package var instanceId: String
    /// The group the instance is a member of when the plan was made.
    package var groupId: String?
    /// Convert a subscription instance to pay-as-you-go first, so the API can release it.
    package var convertToPostPaid: Bool?
    /// True when the instance becomes a member of the group this same plan creates (its id known after apply).
    package var inPlannedGroup: Bool?

    package init(instanceId: String, groupId: String?, convertToPostPaid: Bool? = nil, inPlannedGroup: Bool? = nil) {
        self.instanceId = instanceId
        self.groupId = groupId
        self.convertToPostPaid = convertToPostPaid
        self.inPlannedGroup = inPlannedGroup
    }
}

/// Release the group.
package struct PlannedGroupRelease: Codable, Hashable, Sendable {
    package var groupId: String?
    package var name: String

    package init(groupId: String?, name: String) {
        self.groupId = groupId
        self.name = name
    }
}
