/// An instance that exists before any migration, optionally seeded with generated data.
package struct SandboxInstanceSpec: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    package var instanceClass: String
    package var engineVersion: String
    /// The emulated minor version; one older than the sandbox's sync minimum makes plans upgrade it.
    package var minorVersion: String
    package var billing: Billing
    package var seed: SeedSpec?

    package init(
        id: String,
        name: String,
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        instanceClass: String = "redis.master.small.default",
        engineVersion: String = "7.0",
        minorVersion: String,
        billing: Billing = .postPaid,
        seed: SeedSpec? = nil
    ) {
        self.id = id
        self.name = name
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.instanceClass = instanceClass
        self.engineVersion = engineVersion
        self.minorVersion = minorVersion
        self.billing = billing
        self.seed = seed
    }
}
