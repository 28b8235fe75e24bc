import KVMoveRESP
import KVMoveSecret

/// Short-lived connections to a sandbox instance: PING and INFO.
package enum InstanceProbe {
    /// The client name kvmove's own connections use, so activity checks can tell them apart.
    package static let clientName = "kvmove"

    /// Runs `body` on a new authenticated connection and closes it afterwards.
    package static func withConnection<T: Sendable>(
        port: Int,
        password: String,
        database: Int = 0,
        _ body: (RESPConnection) async throws -> T
    ) async throws -> T {
        let connection = try await RESPConnection.connect(
            RESPConnection.Configuration(
                port: port, password: Secret(password), database: database, clientName: clientName))
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Connects with the password and sends PING; true when it answers PONG.
    package static func ping(port: Int, password: String) async throws -> Bool {
        try await withConnection(port: port, password: password) {
            try await $0.send(RESPCommand("PING")).string == "PONG"
        }
    }

    /// The `INFO` sections named, as `field: value` pairs.
    package static func info(port: Int, password: String, sections: [String]) async throws -> [String: String] {
        try await withConnection(port: port, password: password) { connection in
            var fields: [String: String] = [:]
            for section in sections {
                let text = try await connection.send(RESPCommand("INFO", RESPArgument(section))).string ?? ""
                fields.merge(RedisInfo.fields(text)) { _, new in new }
            }
            return fields
        }
    }

    /// Keys per database from `INFO keyspace` fields (`db0: keys=3,expires=0,avg_ttl=0`).
    package static func keysPerDatabase(_ info: [String: String]) -> [Int: Int] {
        RedisInfo.keysPerDatabase(info)
    }
}
