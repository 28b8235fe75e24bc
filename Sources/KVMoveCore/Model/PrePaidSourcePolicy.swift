/// What `stage: complete` does with a source on subscription (PrePaid) billing.
///
/// A subscription instance cannot be released through the API, so the plan refuses until the
/// spec says which of these it wants (`spec.source.whenPrePaid`).
package enum PrePaidSourcePolicy: String, Codable, Hashable, Sendable, CaseIterable {
    /// Convert the source to pay-as-you-go, then release it; the unused subscription is refunded.
    case convertToPostPaid
    /// Leave the source running until its subscription ends; kvmove releases the group only.
    case keep
}
