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
    /// Why this instance cannot become a member of an active-active group, and what to do; nil when it can
    /// (or the provider has no such limit).
    package var groupIneligibility: String?
    /// The whitelist groups (name → addresses and CIDR blocks) that say who may connect; nil when the provider
    /// has none or did not read them.
    package var securityIps: [String: [String]]?

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
        tags: [String: String] = [:],
        groupIneligibility: String? = nil,
        securityIps: [String: [String]]? = nil
    ) {
        self.groupIneligibility = groupIneligibility
        self.securityIps = securityIps
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
