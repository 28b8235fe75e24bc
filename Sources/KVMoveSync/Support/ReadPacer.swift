/// A token bucket that paces reads on the source: at most `readsPerSecond` on average, in bursts of at most
/// a tenth of a second's worth.
///
/// Each batch or page of reads takes its count of tokens first and waits when the bucket is empty, so a
/// verification never reads the source faster than the user allows, however fast the source answers.
package actor ReadPacer {
    /// Reads allowed per second; nil: no limit.
    package let readsPerSecond: Int?
    private var tokens: Double
    private var last: ContinuousClock.Instant
    private let burst: Double
    private let now: @Sendable () -> ContinuousClock.Instant
    private let sleep: @Sendable (Duration) async throws -> Void

    /// A pacer allowing `readsPerSecond` (nil or 0: no limit).
    ///
    /// `now` and `sleep` are the clock it reads and waits on; tests pass a virtual one.
    package init(
        readsPerSecond: Int?,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        let rate = readsPerSecond.flatMap { $0 > 0 ? $0 : nil }
        self.readsPerSecond = rate
        burst = max(1, Double(rate ?? 1) / 10)
        tokens = burst
        self.now = now
        self.sleep = sleep
        last = now()
    }

    /// Waits until `count` reads may be sent (a count above the burst is spread over the time it costs).
    package func take(_ count: Int) async throws {
        guard let rate = readsPerSecond, count > 0 else { return }
        let current = now()
        let elapsed = current - last
        last = current
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * Double(rate))
        tokens -= Double(count)
        if tokens < 0 {
            // Reserve now, sleep for the debt: callers waiting meanwhile queue behind this one.
            let wait = -tokens / Double(rate)
            try await sleep(.nanoseconds(Int64(wait * 1e9)))
        }
    }
}
