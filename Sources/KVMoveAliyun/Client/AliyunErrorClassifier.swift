import KVMoveCore

/// Turns an OpenAPI error (code, message, HTTP status, headers) into a ``ProviderError``.
///
/// Decisions are made from the error code, never from the HTTP status alone: throttling comes
/// as 400. Throttling, `ServiceUnavailable`, `InternalError` and any 5xx are retried with
/// backoff; "busy" codes (an order pending, a task running, an instance changing) wait and
/// retry; everything else is final. A server's retry hint (`x-acs-retry-after`, or the
/// `TimeLeft` of `x-ratelimit-user-api` / `x-ratelimit-user`, all in milliseconds as every
/// official SDK reads them) is kept in ``ProviderError/retryAfterSeconds``, capped at
/// ``maxRetryAfterSeconds``.
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

    /// The codes that mean "this instance does not exist", and only those (META 2024: 404
    /// `InvalidInstanceId.NotFound` on the instance actions, `InvalidDbInstanceId.NotFound` on the tag
    /// actions, `DBInstanceNotFound` on MigrateToOtherZone).
    ///
    /// Never a suffix match: `InvalidAccessKeyId.NotFound` (an unknown access key, HTTP 404),
    /// `InvalidVPCId.NotFound` or `InvalidAccountName.NotFound` say nothing about whether an instance
    /// exists, and reading them as "gone" would skip a step as already done.
    package static let instanceNotFoundCodes: Set<String> = [
        "InvalidInstanceId.NotFound", "InvalidDbInstanceId.NotFound", "InvalidDBInstanceId.NotFound",
        "DBInstanceNotFound",
    ]

    /// The codes that mean "this distributed instance does not exist".
    ///
    /// None is documented; these are
    /// the R-KVStore forms for a missing id (kvmove also reads an empty `GlobalDistributeCaches` list as
    /// "not listed").
    package static let groupNotFoundCodes: Set<String> = [
        "InvalidGlobalInstanceId.NotFound", "InvalidInstanceId.NotFound",
    ]

    /// Codes that refuse the credentials themselves (not a permission): the message names the key and its source.
    package static let credentialCodes: Set<String> = [
        "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "InvalidAccessKeyId", "SignatureDoesNotMatch",
        "IncompleteSignature", "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed",
        "InvalidSecurityToken.Mismatch", "InvalidSecurityToken.Missing", "InvalidSecurityToken",
    ]

    /// True when `error` says that the instance asked about does not exist.
    package static func isInstanceNotFound(_ error: ProviderError) -> Bool {
        error.source == .aliyun && instanceNotFoundCodes.contains(error.code)
    }

    /// True when `error` says that the distributed instance asked about does not exist.
    package static func isGroupNotFound(_ error: ProviderError) -> Bool {
        error.source == .aliyun && groupNotFoundCodes.contains(error.code)
    }

    /// How `code` (with `status`) should be retried.
    package static func retry(code: String, status: Int) -> ProviderError.Retry {
        if throttlingCodes.contains(code) || code.hasPrefix("Throttling") { return .backoff }
        if transientCodes.contains(code) { return .backoff }
        if busyCodes.contains(code) { return .afterWait }
        if status >= 500 { return .backoff }
        return .never
    }

    /// The longest wait a server's hint may ask for, in seconds.
    ///
    /// It is the official SDKs' own cap (darabonba `MAX_DELAY_TIME`, 120 000 ms); a larger hint is
    /// waited for this long, then retried.
    package static let maxRetryAfterSeconds: Double = 120

    /// The server's hint, in seconds (at most ``maxRetryAfterSeconds``), from the response headers.
    ///
    /// `x-acs-retry-after` is milliseconds, always: darabonba's `get_backoff_time` returns it as the
    /// delay and sleeps `ms / 1000`; the other SDKs name it `RetryAfterMs`.
    package static func retryAfter(headers: [(name: String, value: String)]) -> Double? {
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        if let text = header("x-acs-retry-after"), let value = Double(text.trimmingSpaces), value > 0,
            value.isFinite
        {
            return min(maxRetryAfterSeconds, value / 1000)
        }
        var best: Double?
        for name in ["x-ratelimit-user-api", "x-ratelimit-user"] {
            guard let text = header(name) else { continue }
            for part in text.split(separator: ",") {
                let pair = part.split(separator: ":", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingSpaces == "TimeLeft",
                    let milliseconds = Double(pair[1].trimmingSpaces)
                else { continue }
                guard milliseconds.isFinite, milliseconds > 0 else { continue }
                best = max(best ?? 0, milliseconds / 1000)
            }
        }
        return best.map { min(maxRetryAfterSeconds, $0) }
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
        "InvalidAccessKeyId.Inactive":
            "the access key kvmove found is disabled; enable it in the RAM console or use another (see the "
            + "credentials order in the README)",
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
