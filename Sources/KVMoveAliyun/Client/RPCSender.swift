import Crypto
import Foundation
import KVMoveCore
import KVMoveSecret

/// Sends one RPC-style OpenAPI call: signs it (ACS3-HMAC-SHA256), posts it, reads the JSON.
///
/// Parameters go in the URL query, the body is empty. Transport failures become
/// ``ProviderError`` `Transport` (retried with backoff); error responses are classified by
/// ``AliyunErrorClassifier``. The anonymous call (STS `AssumeRoleWithOIDC`) is not signed and takes the
/// classic RPC form, as the official credentials library sends it (``callAnonymous(endpoint:action:version:query:)``).
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

    /// Calls `action` of `version` at `endpoint` with `query`, signed with `credentials` (ACS3-HMAC-SHA256).
    package func call(
        endpoint: ServiceEndpoint, action: String, version: String, query: [(name: String, value: String)],
        credentials: AliyunCredentials
    ) async throws(ProviderError) -> Response {
        let request = SigningHeaders.sign(
            SignableRequest(method: "POST", host: endpoint.host, path: "/", query: query), action: action,
            version: version, date: Self.timestamp(now()), nonce: nonce(), accessKeyId: credentials.accessKeyId,
            accessKeySecret: credentials.accessKeySecret, securityToken: credentials.securityToken
        ).request
        return try await exchange(
            method: "POST", endpoint: endpoint, query: query,
            headers: request.headers + [("accept", "application/json"), ("user-agent", userAgent)], action: action)
    }

    /// Calls `action` unsigned, in the classic RPC form.
    ///
    /// That is the form the official credentials library uses for STS `AssumeRoleWithOIDC`
    /// (`alibabacloud_credentials` `OIDCRoleArnCredentialsProvider`): `GET /` with
    /// `Action`, `Format=JSON`, `Version`, the parameters and `Timestamp` in the query, no signature and no
    /// nonce, and only `host` and `user-agent` headers. The OIDC token in the query is the credential.
    package func callAnonymous(
        endpoint: ServiceEndpoint, action: String, version: String, query: [(name: String, value: String)]
    ) async throws(ProviderError) -> Response {
        let full =
            [("Action", action), ("Format", "JSON"), ("Version", version)] + query + [
                ("Timestamp", Self.timestamp(now()))
            ]
        return try await exchange(
            method: "GET", endpoint: endpoint, query: full,
            headers: [("host", endpoint.host), ("user-agent", userAgent)],
            action: action)
    }

    /// Sends one request and reads its JSON answer, classifying transport failures and error answers.
    private func exchange(
        method: String, endpoint: ServiceEndpoint, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], action: String
    ) async throws(ProviderError) -> Response {
        let queryText = query.map { "\(ACS3Signer.percentEncode($0.name))=\(ACS3Signer.percentEncode($0.value))" }
            .joined(separator: "&")
        let url = endpoint.baseURL + "/" + (queryText.isEmpty ? "" : "?\(queryText)")
        let response: HTTPExchangeResponse
        do {
            response = try await transport.send(
                HTTPExchangeRequest(
                    method: method, url: url, headers: headers, body: [], timeoutSeconds: timeoutSeconds))
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
