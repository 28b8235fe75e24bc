import KVMoveRESP
import Synchronization

/// Who else is connected to a server, and how many commands it has processed.
package struct ClientActivity: Sendable, Hashable {
    /// `addr name=… cmd=…` of each client whose name does not start with the ignored prefix.
    package var otherClients: [String]
    /// `total_commands_processed` minus the probe's own commands and replication acknowledgements.
    package var commandsProcessed: Int

    /// Creates an activity sample.
    package init(otherClients: [String], commandsProcessed: Int) {
        self.otherClients = otherClients
        self.commandsProcessed = commandsProcessed
    }
}

/// Samples client activity on a server, to tell whether applications still use it.
///
/// Each sample opens a connection named `<prefix>-probe`, reads `CLIENT LIST` and `INFO stats
/// commandstats`, and closes it. `commandsProcessed` leaves out the commands the probe itself sent (in
/// this and earlier samples of the same probe) and `REPLCONF` calls (replication acknowledgements), so two
/// samples of an idle server are equal. Commands of other kvmove connections are counted: Redis 7.0 keeps
/// no per-client command counts.
package struct ActivityProbe: Sendable {
    package var endpoint: RedisEndpoint
    package var ignoredPrefix: String
    private let ownCommands = CommandCounter()

    /// Creates a probe that ignores clients whose name starts with `prefix`.
    package init(endpoint: RedisEndpoint, ignoringClientsNamed prefix: String = "kvmove") {
        self.endpoint = endpoint
        self.ignoredPrefix = prefix
    }

    /// Takes one sample with `CLIENT LIST` and `INFO`.
    package func sample() async throws -> ClientActivity {
        let configuration = endpoint.configuration(clientName: "\(ignoredPrefix)-probe")
        let connection = try await RESPConnection.connect(configuration)
        let replies: [RESPValue]
        do {
            replies = try await connection.pipeline([
                RESPCommand("CLIENT", "ID"), RESPCommand("CLIENT", "LIST"),
                RESPCommand("INFO", "stats", "commandstats"),
            ])
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        for reply in replies {
            if let error = reply.serverError { throw RESPError.server(error) }
        }
        let handshake = (configuration.password == nil ? 0 : 1) + 1  // AUTH, CLIENT SETNAME
        // Commands counted when INFO runs: the handshake, CLIENT ID and CLIENT LIST; INFO counts after it ran.
        let countedBeforeInfo = handshake + 2
        let previous = ownCommands.count.withLock { total in
            defer { total += handshake + 3 }
            return total
        }
        let ownID = replies[0].int ?? -1
        let clients = Self.parseClientList(replies[1].string ?? "")
        let others = clients.filter { client in
            if let id = client["id"].flatMap({ Int64($0) }), id == ownID { return false }
            let name = client["name"] ?? ""
            return name.isEmpty || !name.hasPrefix(ignoredPrefix)
        }
        .map { client in
            "\(client["addr"] ?? "?") name=\(client["name"] ?? "") cmd=\(client["cmd"] ?? "")"
        }
        let fields = Keyspace.infoFields(replies[2].string ?? "")
        let total = fields["total_commands_processed"].flatMap { Int($0) } ?? 0
        let replconf = Self.calls(fields["cmdstat_replconf"])
        return ClientActivity(
            otherClients: others, commandsProcessed: total - replconf - previous - countedBeforeInfo)
    }

    /// Parses `CLIENT LIST`: one client per line, space-separated `key=value` fields.
    static func parseClientList(_ text: String) -> [[String: String]] {
        text.split(whereSeparator: \.isNewline).map { line in
            var fields: [String: String] = [:]
            for field in line.split(separator: " ") {
                guard let equals = field.firstIndex(of: "=") else { continue }
                fields[String(field[..<equals])] = String(field[equals...].dropFirst())
            }
            return fields
        }
    }

    /// The `calls=` number of a `cmdstat_*` line such as `calls=3,usec=12,…`.
    static func calls(_ line: String?) -> Int {
        guard let line else { return 0 }
        for part in line.split(separator: ",") where part.hasPrefix("calls=") {
            return Int(part.dropFirst(6)) ?? 0
        }
        return 0
    }
}

/// Commands a probe has sent so far, shared by copies of the probe.
private final class CommandCounter: Sendable {
    let count = Mutex(0)
}
