/// An operational failure reported by a provider, in a shape a program can act on.
///
/// Renders as `(source Code) message [request id]`. Retry decisions are made from ``retry``,
/// which providers derive from the error code (never from the HTTP status alone).
package struct ProviderError: Error, Sendable, CustomStringConvertible {
    /// Where the error came from.
    package enum Source: String, Sendable, Hashable, Codable {
        /// The Alibaba Cloud API.
        case aliyun
        /// The local sandbox.
        case local
        /// A Redis server (the data plane).
        case redis
        /// kvmove itself (a plan that no longer fits what apply found).
        case kvmove
    }

    /// What the caller may do about it.
    package enum Retry: String, Sendable, Hashable, Codable {
        /// Repeating the request will not help.
        case never
        /// A transient fault (throttling, 5xx, transport): retry with jittered exponential backoff.
        case backoff
        /// The resource is busy (an order pending, an instance changing): wait, then retry.
        case afterWait
    }

    package var source: Source
    /// The remote error code, such as `Throttling.User` or `OOM`; kvmove's own codes otherwise.
    package var code: String
    /// What happened and, where kvmove knows it, what to do.
    package var message: String
    /// The request id the remote side gave, for support tickets and the journal.
    package var requestId: String?
    package var retry: Retry
    /// A server's hint of how long to wait before retrying, in seconds.
    package var retryAfterSeconds: Double?
    /// The error underneath (a transport error), for programs; never rendered in full.
    package var underlying: (any Error & Sendable)?

    package init(
        source: Source,
        code: String,
        message: String,
        requestId: String? = nil,
        retry: Retry = .never,
        retryAfterSeconds: Double? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.source = source
        self.code = code
        self.message = message
        self.requestId = requestId
        self.retry = retry
        self.retryAfterSeconds = retryAfterSeconds
        self.underlying = underlying
    }

    /// True when repeating the request may succeed.
    package var isRetryable: Bool { retry != .never }

    /// `(source Code) message [request id]`.
    package var description: String {
        "(\(source.rawValue) \(code)) \(message)" + (requestId.map { " [request id \($0)]" } ?? "")
    }
}

extension ProviderError {
    /// A request that the step it came with does not send: the plan and this kvmove disagree.
    package static func requestMismatch(_ request: ProviderRequest, _ step: Step, source: Source) -> ProviderError {
        ProviderError(
            source: source, code: "InvalidAction",
            message: "\(request.action) does not belong to step \(step.id); the plan was made by another version "
                + "of kvmove or edited: run kvmove plan again with this version")
    }
}
