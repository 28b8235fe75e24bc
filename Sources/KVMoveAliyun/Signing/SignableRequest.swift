/// An RPC request as the signer sees it: method, host, path, query, headers and body.
///
/// The query keeps its order and may repeat a key; the signer sorts a copy. Header names are
/// compared case-insensitively when signing.
package struct SignableRequest: Sendable, Hashable {
    /// The HTTP method, such as `POST`.
    package var method: String
    /// The bare endpoint host, without scheme or port (the `host` header the server checks).
    package var host: String
    /// The URL path; `/` for RPC calls.
    package var path: String
    /// Query parameters in the order they are sent.
    package var query: [(name: String, value: String)]
    /// Headers as sent (names in any case).
    package var headers: [(name: String, value: String)]
    /// The request body; empty for RPC calls that put their parameters in the query.
    package var body: [UInt8]

    /// Creates a request.
    package init(
        method: String,
        host: String,
        path: String = "/",
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of header `name` (case-insensitive), if present.
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    package static func == (lhs: SignableRequest, rhs: SignableRequest) -> Bool {
        lhs.method == rhs.method && lhs.host == rhs.host && lhs.path == rhs.path
            && lhs.query.elementsEqual(rhs.query, by: { $0 == $1 })
            && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 }) && lhs.body == rhs.body
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(host)
        hasher.combine(path)
        for item in query {
            hasher.combine(item.name)
            hasher.combine(item.value)
        }
        for item in headers {
            hasher.combine(item.name)
            hasher.combine(item.value)
        }
        hasher.combine(body)
    }
}
