/// `spec.verify`: how hard verification may read the source.
package struct VerifySpec: Codable, Hashable, Sendable {
    /// The pace when the spec sets none: high enough that a small dataset is not slowed.
    package static let defaultMaxReadsPerSecond = 100_000

    /// Reads on the source per second at most: a small key is one read, a page of a big key one.
    package var maxReadsPerSecond: Int

    /// Creates a verify spec.
    package init(maxReadsPerSecond: Int = VerifySpec.defaultMaxReadsPerSecond) {
        self.maxReadsPerSecond = maxReadsPerSecond
    }

    /// The plan's risk note for a verification at this pace.
    package var riskNote: String {
        "reads every key on both instances (big keys in bounded pages); adds read load on the source, paced at "
            + "\(maxReadsPerSecond) reads/s (spec.verify.maxReadsPerSecond, apply --verify-rate)"
    }
}
