import Foundation
import KVMoveCore

/// The result of the last data verification, kept on the target as the tag `kvmove:verified`.
///
/// The cloud is the only state kvmove has, so a verification that passed on one machine must be
/// seen by a plan on another (a CI runner): the verify step tags the target with
/// `passed <UTC time> <summary>` or `failed <UTC time> <summary>` (`TagResources`, which
/// overwrites the value of an existing key), and observing reads it back from the instance list.
/// A failed verification overwrites an earlier pass, so a pass never outlives a later failure.
/// A new target starts without the tag.
struct VerificationTag: Sendable, Hashable {
    /// Alibaba Cloud tag values hold at most 128 characters.
    static let maxLength = 128

    var passed: Bool
    /// When the comparison finished, ISO 8601 UTC.
    var at: String
    var summary: String

    init(passed: Bool, at: String, summary: String) {
        self.passed = passed
        self.at = at
        self.summary = summary
    }

    /// Reads a tag value; nil when it is not one kvmove wrote.
    init?(value: String) {
        let parts = value.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0] == "passed" || parts[0] == "failed" else { return nil }
        passed = parts[0] == "passed"
        at = String(parts[1])
        summary = parts.count > 2 ? String(parts[2]) : ""
    }

    /// The tag value: result, time and as much of the summary as fits.
    var value: String {
        // A tag value may not contain `http://` or `https://`; the summary never should, but make sure.
        let cleaned = summary.replacingOccurrences(of: "://", with: " ")
        let text = "\(passed ? "passed" : "failed") \(at) \(cleaned)"
            .trimmingCharacters(in: .whitespaces)
        return text.count > Self.maxLength ? String(text.prefix(Self.maxLength - 3)) + "..." : text
    }

    /// Core's view.
    var observed: ObservedVerification {
        ObservedVerification(
            passed: passed, at: at,
            summary: summary.isEmpty ? "recorded on the target (tag \(AliyunProvider.verifiedTagKey))" : summary)
    }
}
