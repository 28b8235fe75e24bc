/// How far a migration should go.
///
/// Stages are ordered: `sync < cutover < complete`.
package enum Stage: String, Codable, Hashable, Sendable, CaseIterable, Comparable {
    case sync
    case cutover
    case complete

    private var rank: Int {
        switch self {
        case .sync: 0
        case .cutover: 1
        case .complete: 2
        }
    }

    package static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rank < rhs.rank }
}
