/// How the target instance is paid for.
package enum Billing: Hashable, Sendable, Codable {
    /// Pay-as-you-go.
    case postPaid
    /// Subscription for a period in months; `periodMonths` is nil only when the user left it out,
    /// which the loader and the planner both refuse.
    case prePaid(periodMonths: Int?, autoRenew: Bool)

    /// The cloud's name for the charge type.
    package var chargeType: String {
        switch self {
        case .postPaid: "PostPaid"
        case .prePaid: "PrePaid"
        }
    }

    /// Subscription periods the cloud accepts when it creates an instance, in months.
    package static let allowedPeriods: [Int] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 60]

    /// Subscription periods the cloud accepts when an existing instance changes to PrePaid, in months:
    /// no 60 (the official SDK's billing-change model: "1 to 9, 12, 24, and 36").
    package static let changePeriods: [Int] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36]

    /// A short human description, such as `PrePaid (12 months, auto-renew)`.
    package var summary: String {
        switch self {
        case .postPaid:
            return "PostPaid"
        case .prePaid(let months, let autoRenew):
            let period = months.map { "\($0) month\($0 == 1 ? "" : "s")" } ?? "no period"
            return "PrePaid (\(period)\(autoRenew ? ", auto-renew" : ""))"
        }
    }
}
