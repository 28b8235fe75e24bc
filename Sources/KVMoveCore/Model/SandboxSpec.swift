/// A declared local sandbox: an emulated cloud with its topology and pre-existing instances.
///
/// Written by users as a `kind: Sandbox` document (see `schemas/sandbox.schema.json`) and
/// created by `kvmove sandbox up`.
package struct SandboxSpec: Codable, Hashable, Sendable {
    package var name: String
    package var regions: [SandboxRegion]
    package var vpcs: [SandboxVPC]
    package var instances: [SandboxInstanceSpec]
    /// Where the document and its fields are, for messages.
    package var locations: SpecLocations

    package init(
        name: String,
        regions: [SandboxRegion],
        vpcs: [SandboxVPC],
        instances: [SandboxInstanceSpec],
        locations: SpecLocations = SpecLocations()
    ) {
        self.name = name
        self.regions = regions
        self.vpcs = vpcs
        self.instances = instances
        self.locations = locations
    }
}

/// A region and its zones.
package struct SandboxRegion: Codable, Hashable, Sendable {
    package var id: String
    package var zones: [String]

    package init(id: String, zones: [String]) {
        self.id = id
        self.zones = zones
    }
}

/// A VPC and its vSwitches.
package struct SandboxVPC: Codable, Hashable, Sendable {
    package var id: String
    package var region: String
    package var vSwitches: [SandboxVSwitch]

    package init(id: String, region: String, vSwitches: [SandboxVSwitch]) {
        self.id = id
        self.region = region
        self.vSwitches = vSwitches
    }
}

/// A vSwitch: one zone of one VPC.
package struct SandboxVSwitch: Codable, Hashable, Sendable {
    package var id: String
    package var zone: String

    package init(id: String, zone: String) {
        self.id = id
        self.zone = zone
    }
}

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

/// Generated data for a sandbox instance.
package struct SeedSpec: Codable, Hashable, Sendable {
    /// Total keys, spread over the databases.
    package var keys: Int
    /// How many databases (0 ..< databases) get keys.
    package var databases: Int
    /// The mix of types, used in turn.
    package var types: [SeedType]
    /// Bytes per string value, and per element of collections.
    package var valueBytes: Int
    /// Elements per collection key (list, hash, set, sorted set, stream).
    package var elementsPerKey: Int
    /// Share of keys with a TTL, 0…100.
    package var ttlPercent: Int
    /// The random seed: the same seed gives the same data.
    package var randomSeed: UInt64

    package init(
        keys: Int,
        databases: Int = 1,
        types: [SeedType] = SeedType.allCases,
        valueBytes: Int = 100,
        elementsPerKey: Int = 8,
        ttlPercent: Int = 0,
        randomSeed: UInt64 = 1
    ) {
        self.keys = keys
        self.databases = databases
        self.types = types
        self.valueBytes = valueBytes
        self.elementsPerKey = elementsPerKey
        self.ttlPercent = ttlPercent
        self.randomSeed = randomSeed
    }
}

/// Redis data types the seeder can generate.
package enum SeedType: String, Codable, Hashable, Sendable, CaseIterable {
    case string
    case list
    case hash
    case set
    case zset
    case stream
}
