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
