import KVMoveCore

/// Turns an OpenAPI error (code, message, HTTP status, headers) into a ``ProviderError``.
///
/// Decisions are made from the error code, never from the HTTP status alone: throttling comes
/// as 400. Throttling, `ServiceUnavailable`, `InternalError` and any 5xx are retried with
/// backoff; "busy" codes (an order pending, a task running, an instance changing) wait and
/// retry; everything else is final. A server's retry hint (`x-acs-retry-after`, or the
/// `TimeLeft` of `x-ratelimit-user-api` / `x-ratelimit-user`) is kept in
/// ``ProviderError/retryAfterSeconds``.
package enum AliyunErrorClassifier {
    /// Codes that mean "too many requests".
    package static let throttlingCodes: Set<String> = [
        "Throttling", "Throttling.User", "Throttling.Api", "Throttling.Concurrency", "Rejected.Throttling",
        "ServiceUnavailable.Throttling", "Throttling.AntiDdos",
    ]
    /// Transient server faults.
    package static let transientCodes: Set<String> = [
        "ServiceUnavailable", "InternalError", "UnknownError", "ServiceTimeout", "RequestTimeout",
        "SDK.ServerUnreachable",
    ]
    /// The resource is busy: wait for it to settle, then retry.
    package static let busyCodes: Set<String> = [
        "Order.LatestOrderIsHanding", "TaskExists", "TaskHasExist", "Task.Conflict", "IncorrectDBInstanceState",
        "InstanceStatus.NotSupport", "InvalidStatus", "OperationDeniedDBStatus", "IncorrectInstanceStatus",
        "OperationDenied.OrderPending",
    ]

    /// How `code` (with `status`) should be retried.
    package static func retry(code: String, status: Int) -> ProviderError.Retry {
        if throttlingCodes.contains(code) || code.hasPrefix("Throttling") { return .backoff }
        if transientCodes.contains(code) { return .backoff }
        if busyCodes.contains(code) { return .afterWait }
        if status >= 500 { return .backoff }
        return .never
    }

    /// The server's hint, in seconds, from the response headers.
    package static func retryAfter(headers: [(name: String, value: String)]) -> Double? {
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        if let text = header("x-acs-retry-after"), let value = Double(text.trimmingSpaces), value > 0 {
            // The SDKs read it as milliseconds when large, seconds otherwise; values above 1000 are milliseconds.
            return value > 1000 ? value / 1000 : value
        }
        var best: Double?
        for name in ["x-ratelimit-user-api", "x-ratelimit-user"] {
            guard let text = header(name) else { continue }
            for part in text.split(separator: ",") {
                let pair = part.split(separator: ":", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingSpaces == "TimeLeft",
                    let milliseconds = Double(pair[1].trimmingSpaces)
                else { continue }
                best = max(best ?? 0, milliseconds / 1000)
            }
        }
        return best
    }

    /// The ``ProviderError`` for an error response.
    package static func error(
        status: Int, code: String?, message: String?, requestId: String?, headers: [(name: String, value: String)],
        action: String
    ) -> ProviderError {
        let code = code ?? (status >= 500 ? "HTTP\(status)" : "HTTP\(status)")
        var text = message ?? "the server answered HTTP \(status) without a message"
        if let advice = advice[code] { text += "; \(advice)" }
        return ProviderError(
            source: .aliyun, code: code, message: "\(action): \(text)", requestId: requestId,
            retry: retry(code: code, status: status), retryAfterSeconds: retryAfter(headers: headers))
    }

    /// What to do, for codes where kvmove knows.
    package static let advice: [String: String] = [
        "InvalidAccessKeyId.NotFound": "check the access key id kvmove found (see the credentials order in the README)",
        "SignatureDoesNotMatch": "check the access key secret; a clock far off also breaks signatures",
        "Forbidden.RAM": "the RAM identity lacks a permission; see examples/aliyun/ram-policy.json",
        "NoPermission": "the RAM identity lacks a permission; see examples/aliyun/ram-policy.json",
        "InstanceReleaseProtection": "turn release protection off for this instance, then apply again",
        "IdempotentParameterMismatch":
            "a create with this idempotency token was sent before with other parameters; run kvmove plan again",
        "InsufficientBalance": "top up the account, then apply again",
        "IncorrectMinorVersion": "the instance's minor version is too old for this; upgrade it first",
    ]
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
