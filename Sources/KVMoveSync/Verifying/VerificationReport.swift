/// How a key differs between source and target.
package enum MismatchKind: String, Sendable, Codable, CaseIterable {
    /// On the source, not on the target.
    case missing
    /// Only on the target.
    case extra
    /// Different types.
    case type
    /// Same type, different value.
    case value
    /// One side persistent and the other not, or expiries further apart than the tolerance.
    case ttl
}

/// One key that differs.
package struct Mismatch: Sendable, Codable, Hashable {
    package var database: Int
    /// The key, printable: UTF-8 when valid, else escaped like `"\xff…"`.
    package var key: String
    package var kind: MismatchKind
    /// What differs, in a few words.
    package var detail: String
    /// Whether the key was written on both members, which the group does not merge; nil when unknown.
    package var writtenOnBothSides: Bool?

    /// Creates a mismatch.
    package init(database: Int, key: String, kind: MismatchKind, detail: String, writtenOnBothSides: Bool? = nil) {
        self.database = database
        self.key = key
        self.kind = kind
        self.detail = detail
        self.writtenOnBothSides = writtenOnBothSides
    }
}

/// The outcome of comparing a source and a target key by key.
package struct VerificationReport: Sendable, Codable, Hashable {
    /// True when no key and no function library differs.
    package var passed: Bool
    /// Source keys compared with the target.
    package var keysChecked: Int
    /// `DBSIZE` of each source database that had keys when verification started.
    package var sourceKeysPerDatabase: [Int: Int]
    /// `DBSIZE` of each target database that had keys when verification started.
    package var targetKeysPerDatabase: [Int: Int]
    /// The first `Verifier.maximumReportedMismatches` mismatches.
    package var mismatches: [Mismatch]
    /// All mismatches, including those not listed.
    package var mismatchCount: Int
    package var seconds: Double
    /// One line: "200000 keys match in 3 dbs" or "3 of 200000 keys differ (1 missing, 2 value)", followed by
    /// how many of those were written on both members (when known and any were), how many keys matched on
    /// re-check (when any did), and the functions' outcome when there is a library to speak of or they could
    /// not be compared.
    package var summary: String
    /// How the Redis functions compare; nil only in reports written before functions were compared.
    package var functions: FunctionComparison?
    /// Passes made over the keys: 1, plus each round that compared again the keys that still differed.
    package var rounds: Int
    /// Keys that differed in the first pass and were compared again (0 when none differed or no round ran).
    package var recheckedKeys: Int
    /// Of the re-checked keys, those that matched in a later round: writes in flight, not divergence.
    package var resolvedOnRecheck: Int
    /// True when verification stopped before the end because most keys differed: the sync is broken.
    package var stoppedEarly: Bool

    /// Creates a report.
    package init(
        passed: Bool,
        keysChecked: Int,
        sourceKeysPerDatabase: [Int: Int],
        targetKeysPerDatabase: [Int: Int],
        mismatches: [Mismatch],
        mismatchCount: Int,
        seconds: Double,
        summary: String,
        functions: FunctionComparison? = nil,
        rounds: Int = 1,
        recheckedKeys: Int = 0,
        resolvedOnRecheck: Int = 0,
        stoppedEarly: Bool = false
    ) {
        self.stoppedEarly = stoppedEarly
        self.passed = passed
        self.keysChecked = keysChecked
        self.sourceKeysPerDatabase = sourceKeysPerDatabase
        self.targetKeysPerDatabase = targetKeysPerDatabase
        self.mismatches = mismatches
        self.mismatchCount = mismatchCount
        self.seconds = seconds
        self.summary = summary
        self.functions = functions
        self.rounds = rounds
        self.recheckedKeys = recheckedKeys
        self.resolvedOnRecheck = resolvedOnRecheck
    }

    /// The JSON names; the functions are `redisFunctions`, so a report still starts with `keysChecked`.
    enum CodingKeys: String, CodingKey {
        case passed, keysChecked, sourceKeysPerDatabase, targetKeysPerDatabase, mismatches, mismatchCount, seconds
        case summary
        case functions = "redisFunctions"
        case rounds, recheckedKeys, resolvedOnRecheck, stoppedEarly
    }

    /// Reads a report; one written before keys were re-checked reads as one pass with no re-check.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        passed = try container.decode(Bool.self, forKey: .passed)
        keysChecked = try container.decode(Int.self, forKey: .keysChecked)
        sourceKeysPerDatabase = try container.decode([Int: Int].self, forKey: .sourceKeysPerDatabase)
        targetKeysPerDatabase = try container.decode([Int: Int].self, forKey: .targetKeysPerDatabase)
        mismatches = try container.decode([Mismatch].self, forKey: .mismatches)
        mismatchCount = try container.decode(Int.self, forKey: .mismatchCount)
        seconds = try container.decode(Double.self, forKey: .seconds)
        summary = try container.decode(String.self, forKey: .summary)
        functions = try container.decodeIfPresent(FunctionComparison.self, forKey: .functions)
        rounds = try container.decodeIfPresent(Int.self, forKey: .rounds) ?? 1
        recheckedKeys = try container.decodeIfPresent(Int.self, forKey: .recheckedKeys) ?? 0
        resolvedOnRecheck = try container.decodeIfPresent(Int.self, forKey: .resolvedOnRecheck) ?? 0
        stoppedEarly = try container.decodeIfPresent(Bool.self, forKey: .stoppedEarly) ?? false
    }
}
