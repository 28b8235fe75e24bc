/// How far a migration has got, as derived from observed state.
package enum ObservedStage: String, Codable, Hashable, Sendable {
    /// No target yet.
    case notStarted = "not-started"
    /// The target is in the group with the source.
    case syncing
    /// Sync was disconnected; the target stands alone and the source still exists.
    case cutOver = "cut-over"
    /// The source and group are gone; the target stands alone.
    case completed

    /// The spec stage this observed stage has reached, if any.
    package var reached: Stage? {
        switch self {
        case .notStarted, .syncing: nil
        case .cutOver: .cutover
        case .completed: .complete
        }
    }
}
