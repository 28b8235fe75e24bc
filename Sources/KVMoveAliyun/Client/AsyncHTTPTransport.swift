import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The real transport: one AsyncHTTPClient, created once per provider, shut down with it.
package final class AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient
    /// Largest response body read, in bytes.
    private let maxBody = 32 * 1024 * 1024

    /// Creates the client (its own event loop group of one thread).
    package init() {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let response = try await client.execute(outgoing, timeout: .seconds(Int64(request.timeoutSeconds)))
        let body = try await response.body.collect(upTo: maxBody)
        return HTTPExchangeResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer: body)
        )
    }

    package func shutdown() async {
        try? await client.shutdown()
    }
}
