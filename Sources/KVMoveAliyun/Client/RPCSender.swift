import Crypto
import Foundation
import KVMoveCore
import KVMoveSecret

/// Sends one RPC-style OpenAPI call: signs it (ACS3-HMAC-SHA256), posts it, reads the JSON.
///
/// Parameters go in the URL query, the body is empty. Transport failures become
/// ``ProviderError`` `Transport` (retried with backoff); error responses are classified by
/// ``AliyunErrorClassifier``. Anonymous calls (STS `AssumeRoleWithOIDC`) are not signed.
package struct RPCSender: Sendable {
    package let transport: any HTTPTransport
    /// The time written in `x-acs-date`; injectable for tests.
    package var now: @Sendable () -> Date = { Date() }
    /// The signature nonce; injectable for tests.
    package var nonce: @Sendable () -> String = {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
    package var userAgent = "kvmove"
    package var timeoutSeconds = 30

    package init(transport: any HTTPTransport) {
        self.transport = transport
    }

    /// A successful call's JSON and request id.
    package struct Response: Sendable {
        package var json: JSONValue
        package var requestId: String?
        package var status: Int
    }

    /// Calls `action` of `version` at `endpoint` with `query`, signed with `credentials` (nil: anonymous).
    package func call(
        endpoint: ServiceEndpoint, action: String, version: String, query: [(name: String, value: String)],
        credentials: AliyunCredentials?
    ) async throws(ProviderError) -> Response {
        var request = SignableRequest(method: "POST", host: endpoint.host, path: "/", query: query)
        let date = Self.timestamp(now())
        if let credentials {
            request =
                SigningHeaders.sign(
                    request, action: action, version: version, date: date, nonce: nonce(),
                    accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret,
                    securityToken: credentials.securityToken
                ).request
        } else {
            request.headers += [
                ("host", endpoint.host), ("x-acs-action", action), ("x-acs-version", version), ("x-acs-date", date),
                ("x-acs-signature-nonce", nonce()), ("x-acs-content-sha256", ACS3Signer.emptyBodyHash),
            ]
        }
        request.headers += [("accept", "application/json"), ("user-agent", userAgent)]
        let queryText = query.map { "\(ACS3Signer.percentEncode($0.name))=\(ACS3Signer.percentEncode($0.value))" }
            .joined(separator: "&")
        let url = endpoint.baseURL + "/" + (queryText.isEmpty ? "" : "?\(queryText)")
        let response: HTTPExchangeResponse
        do {
            response = try await transport.send(
                HTTPExchangeRequest(
                    method: "POST", url: url, headers: request.headers, body: [], timeoutSeconds: timeoutSeconds))
        } catch let error as CancellationError {
            throw ProviderError(
                source: .aliyun, code: "Cancelled", message: "\(action) was cancelled", underlying: error)
        } catch {
            throw ProviderError(
                source: .aliyun, code: "Transport",
                message: "\(action): could not reach \(endpoint): \(Self.describe(error))", retry: .backoff,
                underlying: error)
        }
        let json = (try? JSONValue.parse(response.body)) ?? .null
        let requestId = json["RequestId"].string ?? json["requestId"].string ?? response.header("x-acs-request-id")
        let code = json["Code"].string ?? json["code"].string
        if response.status >= 300 {
            throw AliyunErrorClassifier.error(
                status: response.status, code: code, message: json["Message"].string ?? json["message"].string,
                requestId: requestId, headers: response.headers, action: action)
        }
        if case .null = json {
            throw ProviderError(
                source: .aliyun, code: "InvalidResponse",
                message: "\(action): the answer from \(endpoint) is not JSON (HTTP \(response.status))",
                requestId: requestId, retry: .backoff)
        }
        return Response(json: json, requestId: requestId, status: response.status)
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC.
    package static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 1970)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
