/// How the Redis functions (`FUNCTION LIST`) of a source and a target compare.
package struct FunctionComparison: Sendable, Codable, Hashable {
    /// The outcome of the comparison.
    package enum Outcome: String, Sendable, Codable, Hashable {
        /// Both sides hold the same libraries with the same code (possibly none).
        case match
        /// A library is missing, extra, or has other code on one side.
        case differ
        /// A side could not list its functions (`FUNCTION` not allowed); nothing is known either way.
        case unavailable
    }

    /// One library that differs.
    package struct Difference: Sendable, Codable, Hashable {
        /// The library's name.
        package var library: String
        /// What differs, in a few words.
        package var detail: String

        /// Creates a difference.
        package init(library: String, detail: String) {
            self.library = library
            self.detail = detail
        }
    }

    package var outcome: Outcome
    /// Libraries on the source.
    package var sourceLibraries: Int
    /// Libraries on the target.
    package var targetLibraries: Int
    package var differences: [Difference]
    /// Why the functions could not be compared, when ``outcome`` is `unavailable`.
    package var note: String?

    /// Creates a comparison.
    package init(
        outcome: Outcome,
        sourceLibraries: Int,
        targetLibraries: Int,
        differences: [Difference] = [],
        note: String? = nil
    ) {
        self.outcome = outcome
        self.sourceLibraries = sourceLibraries
        self.targetLibraries = targetLibraries
        self.differences = differences
        self.note = note
    }

    /// A few words for the report's summary line; nil when neither side has a library to speak of.
    package var summary: String? {
        switch outcome {
        case .match:
            guard sourceLibraries > 0 else { return nil }
            return sourceLibraries == 1 ? "1 function library matches" : "\(sourceLibraries) function libraries match"
        case .differ:
            let listed = differences.prefix(3).map { "\($0.library): \($0.detail)" }.joined(separator: "; ")
            let more = differences.count > 3 ? "; \(differences.count - 3) more" : ""
            let count =
                differences.count == 1 ? "1 function library differs" : "\(differences.count) function libraries differ"
            return "\(count) (\(listed)\(more))"
        case .unavailable:
            return "functions not compared: \(note ?? "FUNCTION LIST is not available")"
        }
    }
}
