/// How far a copy has come; counts run over all databases being copied.
package struct CopyProgress: Sendable, Codable, Hashable {
    /// Keys copied so far, in every database.
    package var keysDone: Int
    /// Keys in the databases being copied, from `DBSIZE` when the copy started.
    package var keysTotal: Int
    /// Keys copied in parts because their `DUMP` payload was too big.
    package var bigKeys: Int
    /// The database being copied now.
    package var database: Int

    /// Creates a progress value.
    package init(keysDone: Int, keysTotal: Int, bigKeys: Int, database: Int) {
        self.keysDone = keysDone
        self.keysTotal = keysTotal
        self.bigKeys = bigKeys
        self.database = database
    }
}

/// What a finished copy did.
package struct CopyReport: Sendable, Codable, Hashable {
    /// Keys copied (a key that `SCAN` returned twice counts twice).
    package var keys: Int
    /// Keys copied in parts.
    package var bigKeys: Int
    /// Bytes of `DUMP` payloads read from the source.
    package var bytes: Int
    /// Wall-clock duration of the copy.
    package var seconds: Double
    /// Keys copied per database.
    package var keysPerDatabase: [Int: Int]

    /// Creates a report.
    package init(keys: Int, bigKeys: Int, bytes: Int, seconds: Double, keysPerDatabase: [Int: Int]) {
        self.keys = keys
        self.bigKeys = bigKeys
        self.bytes = bytes
        self.seconds = seconds
        self.keysPerDatabase = keysPerDatabase
    }
}
