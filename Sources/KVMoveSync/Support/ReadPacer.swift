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

    /// A pacer allowing `readsPerSecond` (nil or 0: no limit).
    package init(readsPerSecond: Int?) {
        let rate = readsPerSecond.flatMap { $0 > 0 ? $0 : nil }
        self.readsPerSecond = rate
        burst = max(1, Double(rate ?? 1) / 10)
        tokens = burst
        last = ContinuousClock.now
    }

    /// Waits until `count` reads may be sent (a count above the burst is spread over the time it costs).
    package func take(_ count: Int) async throws {
        guard let rate = readsPerSecond, count > 0 else { return }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * Double(rate))
        tokens -= Double(count)
        if tokens < 0 {
            // Reserve now, sleep for the debt: callers waiting meanwhile queue behind this one.
            let wait = -tokens / Double(rate)
            try await Task.sleep(for: .nanoseconds(Int64(wait * 1e9)))
        }
    }
}
