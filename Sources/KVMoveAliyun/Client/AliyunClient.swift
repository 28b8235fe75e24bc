import Foundation
import KVMoveCore

/// The OpenAPI client: R-KVStore, VPC and STS calls, signed with the chain's credentials.
///
/// One per provider; its HTTP transport is created with it and closed by ``shutdown()``.
/// Every call returns the JSON and the request id, or throws a classified ``ProviderError``.
package struct AliyunClient: Sendable {
    package let sender: RPCSender
    package let credentials: CredentialsChain
    package let endpoints: Endpoints

    package init(sender: RPCSender, credentials: CredentialsChain, endpoints: Endpoints) {
        self.sender = sender
        self.credentials = credentials
        self.endpoints = endpoints
    }

    /// Calls `action` of `service` in `region` with `parameters` (in order; repeated names allowed).
    package func call(
        _ service: Endpoints.Service, _ action: String, region: String?, _ parameters: [(name: String, value: String)]
    ) async throws(ProviderError) -> RPCSender.Response {
        let signing: AliyunCredentials
        do {
            signing = try await credentials.credentials()
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(source: .aliyun, code: "Credentials", message: "\(error)", underlying: error)
        }
        // Reads (`Describe…`) are retried here, and only here, so observing survives throttling and 5xx; changing
        // calls are not: the applier decides whether those may be repeated. A read that used up its tries or its
        // time is final for every layer above (polls, the applier), so retries never stack.
        let attempts = action.hasPrefix("Describe") ? readAttempts : 1
        var attempt = 1
        let started = ContinuousClock.now
        while true {
            do {
                return try await sender.call(
                    endpoint: endpoints.endpoint(service, region: region), action: action, version: service.version,
                    query: parameters, credentials: signing)
            } catch  where AliyunErrorClassifier.credentialCodes.contains(error.code) {
                // Say which credentials were refused, so the user knows which link of the chain to fix.
                var named = error
                named.message += " (credentials: access key \(signing.accessKeyId) from \(signing.source))"
                throw named
            } catch  where error.isRetryable && attempts > 1 {
                let backoff =
                    min(10, readBackoffSeconds * Double(1 << min(attempt - 1, 5))) * Double.random(in: 0.5...1)
                let delay = max(backoff, error.retryAfterSeconds ?? 0)
                let elapsed = ContinuousClock.now - started
                if attempt >= attempts || elapsed + .milliseconds(Int(delay * 1000)) > readBudget {
                    var final = error
                    final.retry = .never
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    final.message +=
                        "; gave up after \(attempt) tr\(attempt == 1 ? "y" : "ies") in \(String(format: "%.1f", seconds))s "
                        + "(a read is tried at most \(attempts) times within \(readBudget.components.seconds)s); run the "
                        + "command again later"
                    throw final
                }
                Self.retryReport?(RetriedCall(action: action, error: error, attempt: attempt, delaySeconds: delay))
                do {
                    try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                } catch {
                    throw ProviderError(source: .aliyun, code: "Cancelled", message: "\(action) was cancelled")
                }
                attempt += 1
            }
        }
    }

    /// Where a read that failed and is about to be tried again is reported, for the task that made it.
    ///
    /// Apply sets it around each request, so the request id and try number of every retried read
    /// of a step go into the journal; nil (observing for a plan) reports nowhere.
    @TaskLocal package static var retryReport: (@Sendable (RetriedCall) -> Void)?

    /// Tries of a read before its error is given up on.
    package var readAttempts = 6
    /// The longest a read may spend being retried, waits included; a retry that would end later is not made.
    package var readBudget: Duration = .seconds(120)
    /// The first backoff between tries of a read, in seconds (doubled each try, at most 10 s, with jitter).
    package var readBackoffSeconds = 0.5

    /// Closes the HTTP connections.
    package func shutdown() async {
        await sender.transport.shutdown()
    }
}

/// A call that failed and is about to be tried again.
package struct RetriedCall: Sendable {
    package var action: String
    package var error: ProviderError
    /// The try that failed: 1 for the first.
    package var attempt: Int
    package var delaySeconds: Double

    /// `DescribeInstances try 1: (aliyun Throttling.User) … [request id …]; trying again in 0.4s`.
    package var summary: String {
        "\(action) try \(attempt): \(error); trying again in \(String(format: "%.1f", delaySeconds))s"
    }
}
