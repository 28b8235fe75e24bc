import Synchronization

/// Lets progress reports through at most once per interval, and always the one that completes the work.
///
/// The data plane reports every batch; a provider turns those into step progress without flooding
/// the terminal or the journal.
package final class ProgressThrottle: Sendable {
    private let interval: Duration
    private let last: Mutex<ContinuousClock.Instant>

    /// A throttle whose first report always passes.
    package init(every interval: Duration) {
        self.interval = interval
        self.last = Mutex(ContinuousClock.now - interval)
    }

    /// True when this report should be shown: the interval has passed since the last shown one, or it is the last.
    package func shouldReport(done: Int, total: Int) -> Bool {
        last.withLock { last in
            let now = ContinuousClock.now
            guard done >= total || now - last >= interval else { return false }
            last = now
            return true
        }
    }
}
