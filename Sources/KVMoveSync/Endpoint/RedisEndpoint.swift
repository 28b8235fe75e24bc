import KVMoveRESP

/// Where a Redis server listens and how to log in; the description never shows the password.
package struct RedisEndpoint: Sendable, Codable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?

    /// Creates an endpoint.
    package init(host: String = "127.0.0.1", port: Int, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// `host:port`.
    package var description: String { "\(host):\(port)" }

    /// Connection settings for this endpoint.
    package func configuration(
        database: Int = 0,
        clientName: String? = nil,
        protocolVersion: Int = 2,
        maxBytesInFlight: Int = 8 << 20
    ) -> RESPConnection.Configuration {
        RESPConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            protocolVersion: protocolVersion, maxBytesInFlight: maxBytesInFlight, clientName: clientName)
    }

    /// Opens a RESP2 connection with the database selected and the client named.
    package func connect(database: Int = 0, clientName: String?) async throws -> RESPConnection {
        try await RESPConnection.connect(configuration(database: database, clientName: clientName))
    }
}
