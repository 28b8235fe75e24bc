import Synchronization

/// Asks a running channel to stop after applying what it has already read: the graceful stop of a worker.
///
/// ``request()`` ends the session's input where it is: the channel stops reading from the source, applies
/// every complete command it holds (a transaction the source had not finished is left out, as it is not
/// in the checkpoint either), waits for the target to acknowledge, and ``ReplicaChannel/run(status:stop:retryDelay:)``
/// returns. What the source sent after that point is read again by the next session (`PSYNC <offset+1>`).
package final class ChannelStop: Sendable {
    /// What the input ends with once a stop is requested.
    struct Requested: Error {}

    private let state = Mutex<(requested: Bool, inbox: SpoolingBuffer?)>((false, nil))

    /// A stop not yet requested.
    package init() {}

    /// True once ``request()`` was called.
    package var isRequested: Bool { state.withLock { $0.requested } }

    /// Requests the stop.
    package func request() {
        let inbox = state.withLock { state -> SpoolingBuffer? in
            state.requested = true
            return state.inbox
        }
        inbox?.finish(throwing: Requested())
    }

    /// The input of the session now running; ended at once when a stop was requested before.
    func attach(_ inbox: SpoolingBuffer) {
        let requested = state.withLock { state -> Bool in
            state.inbox = inbox
            return state.requested
        }
        if requested { inbox.finish(throwing: Requested()) }
    }
}
