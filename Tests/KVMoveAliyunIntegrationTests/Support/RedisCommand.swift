import KVMoveRESP
import KVMoveSecret

/// One Redis command to a fake instance's redis-server on 127.0.0.1, as a test's own client.
enum RedisCommand {
    /// Connects with `password` (over TLS, trusting `caFile`, when given), sends `arguments`, and returns the reply
    /// as text (nil for a null reply).
    static func send(port: Int, password: String?, caFile: String? = nil, _ arguments: [String]) async throws
        -> String?
    {
        let connection = try await RESPConnection.connect(
            RESPConnection.Configuration(
                port: port, password: password.map(Secret.init), clientName: "kvmove-fixture",
                tls: caFile.map { .on(caCertificateFile: $0) } ?? .off))
        do {
            let reply = try await connection.send(
                RESPCommand(arguments[0], arguments: arguments.dropFirst().map { RESPArgument($0 as String) }))
            await connection.close()
            if case .integer(let value) = reply { return "\(value)" }
            return reply.string
        } catch {
            await connection.close()
            throw error
        }
    }
}
