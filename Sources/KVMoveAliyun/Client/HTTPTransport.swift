/// One HTTP exchange, as the OpenAPI client and the credential sources need it.
package struct HTTPExchangeRequest: Sendable {
    package var method: String
    /// The full URL, `scheme://host[:port]/path?query`.
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// Seconds before the request is abandoned.
    package var timeoutSeconds: Int

    package init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        timeoutSeconds: Int = 30
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

/// What came back.
package struct HTTPExchangeResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of header `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }
}

/// Sends HTTP requests.
///
/// The real one is ``AsyncHTTPTransport``; unit tests may pass a stub.
package protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response; throws on transport failure only (any status is returned).
    func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse
    /// Releases connections. Called once.
    func shutdown() async
}
