/// When and how long to wait before sending a failed request again.
///
/// Decisions come from ``ProviderError/retry`` (derived from error codes by the provider), never
/// from message text: transient faults back off exponentially with full jitter, busy resources
/// are waited for at a steady pace for longer, and a server's retry-after hint is honoured.
/// A request that is not idempotent is never sent twice.
package struct RetryPolicy: Sendable {
    /// Tries in all for transient faults (throttling, 5xx, transport).
    package var maxAttempts: Int
    /// The first backoff, in seconds; doubled on each retry.
    package var baseDelay: Double
    /// The largest backoff, in seconds.
    package var maxDelay: Double
    /// Tries in all while a resource is busy.
    package var busyAttempts: Int
    /// The wait between tries while a resource is busy, in seconds.
    package var busyDelay: Double

    package init(
        maxAttempts: Int = 6,
        baseDelay: Double = 1,
        maxDelay: Double = 30,
        busyAttempts: Int = 60,
        busyDelay: Double = 10
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.busyAttempts = busyAttempts
        self.busyDelay = busyDelay
    }

    /// The default for apply.
    package static let standard = RetryPolicy()

    /// Seconds to wait before try `attempt + 1` of `request` after `error`, or nil to give up.
    ///
    /// - Parameters:
    ///   - attempt: the try that just failed, 1 for the first.
    ///   - random: a number in 0..<1, for the jitter.
    package func delay(after error: ProviderError, of request: ProviderRequest, attempt: Int, random: Double)
        -> Double?
    {
        guard request.idempotent else { return nil }
        let computed: Double
        switch error.retry {
        case .never:
            return nil
        case .backoff:
            guard attempt < maxAttempts else { return nil }
            let ceiling = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 30)))
            computed = ceiling * max(0, min(1, random))
        case .afterWait:
            guard attempt < busyAttempts else { return nil }
            computed = busyDelay * (0.75 + 0.5 * max(0, min(1, random)))
        }
        return max(computed, error.retryAfterSeconds ?? 0)
    }
}
