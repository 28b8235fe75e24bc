/// Counts full syncs that end in the same failure before the stream starts, so that a channel whose failure
/// repeats stops instead of forking the source and flushing the target again and again.
///
/// A session that reaches the stream resets the count; a session that continues without a full sync does
/// not count. Only the same failure, session after session, uses the budget up: a different one starts it
/// again at one.
package struct FullSyncBudget: Sendable, Hashable {
    /// Full syncs in a row that may end in the same failure; the next one stops the channel.
    package var limit: Int
    /// Full syncs in a row that ended in ``lastFailure``.
    package private(set) var repeated = 0
    /// The failure those full syncs ended in.
    package private(set) var lastFailure: String?

    package init(limit: Int = 3) {
        self.limit = max(1, limit)
    }

    /// What to do after a failed session.
    package enum Decision: Sendable, Hashable {
        case reconnect
        /// The same failure ended `attempts` full syncs in a row: stop.
        case stop(attempts: Int)
    }

    /// Records a failed session: whether it had started a full sync, whether it had reached the stream, and why
    /// it failed.
    package mutating func sessionFailed(fullSync: Bool, streamed: Bool, failure: String) -> Decision {
        if streamed {
            repeated = 0
            lastFailure = nil
            return .reconnect
        }
        guard fullSync else { return .reconnect }
        if failure == lastFailure {
            repeated += 1
        } else {
            repeated = 1
            lastFailure = failure
        }
        return repeated >= limit ? .stop(attempts: repeated) : .reconnect
    }

    /// Records a session that reached the stream and ended without failing.
    package mutating func sessionStreamed() {
        repeated = 0
        lastFailure = nil
    }
}

/// A channel stopped because the same failure ended several full syncs in a row.
package struct FullSyncBudgetExhausted: Error, Sendable, CustomStringConvertible {
    package var attempts: Int
    package var failure: String

    package init(attempts: Int, failure: String) {
        self.attempts = attempts
        self.failure = failure
    }

    package var description: String {
        "the channel stopped: \(attempts) full syncs in a row ended in the same failure (\(failure)); kvmove does not "
            + "copy the source again (each full sync forks the source and replaces the target's data): fix the cause "
            + "(the failure above; often the source's client-output-buffer-limit for replicas, or the target's "
            + "memory), then run kvmove apply again, which starts the channel again (kvmove sandbox up does too)"
    }
}
