import KVMoveRESP
import KVMoveSecret

/// Where a Redis server listens and how to log in: what a provider hands the data plane.
///
/// The password is a `Secret`, so no rendering of an endpoint shows it: not its description, not
/// `String(reflecting:)`, not `dump`. An endpoint is deliberately not `Codable`: nothing kvmove writes
/// holds one, and a provider builds it afresh from its own source of the password.
package struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Plain TCP, or TLS and how the server's certificate is checked.
    package typealias TLS = RESPConnection.TLS

    package var host: String
    package var port: Int
    package var username: String?
    package var password: Secret?
    package var tls: TLS
    /// How long the server may take to answer a command (`spec.connection.commandTimeout`); nil waits for ever.
    package var commandTimeout: Duration?
    /// How long the replication stream from this server may be silent before the channel drops it and
    /// continues with `PSYNC` (`spec.connection.replicationTimeout`); nil waits for ever.
    package var replicationTimeout: Duration?

    /// Creates an endpoint.
    package init(
        host: String = "127.0.0.1",
        port: Int,
        username: String? = nil,
        password: Secret? = nil,
        tls: TLS = .off,
        commandTimeout: Duration? = RESPConnection.Configuration.defaultCommandTimeout,
        replicationTimeout: Duration? = RESPConnection.Configuration.defaultStreamIdleTimeout
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.tls = tls
        self.commandTimeout = commandTimeout
        self.replicationTimeout = replicationTimeout
    }

    /// `host:port`, plus ` (tls)` when TLS is on.
    package var description: String { "\(host):\(port)" + (tls.isEnabled ? " (tls)" : "") }

    /// Connection settings for this endpoint, with the client named after `role`.
    package func configuration(
        role: ClientRole,
        database: Int = 0,
        protocolVersion: Int = 2,
        maxBytesInFlight: Int = 8 << 20
    ) -> RESPConnection.Configuration {
        RESPConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            protocolVersion: protocolVersion, maxBytesInFlight: maxBytesInFlight, clientName: role.clientName,
            tls: tls, commandTimeout: commandTimeout, streamIdleTimeout: replicationTimeout)
    }

    /// Opens a RESP2 connection named `kvmove-<role>`, with the database selected.
    package func connect(role: ClientRole, database: Int = 0) async throws -> RESPConnection {
        try await RESPConnection.connect(configuration(role: role, database: database))
    }
}
