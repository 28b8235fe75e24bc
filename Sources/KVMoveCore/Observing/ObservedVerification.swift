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
