import KVMoveRESP
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small helpers over replies that the copier and the verifier share.
enum Keyspace {
    /// The databases that hold keys, from `INFO keyspace` (`db3:keys=10,expires=0,avg_ttl=0`).
    static func databasesWithKeys(_ connection: RESPConnection) async throws -> [Int] {
        let info = try await connection.send(RESPCommand("INFO", "keyspace")).string ?? ""
        return RedisInfo.fields(info).keys.compactMap { name -> Int? in
            guard name.hasPrefix("db") else { return nil }
            return Int(name.dropFirst(2))
        }.sorted()
    }

    /// `DBSIZE` of each database, selecting each in turn on `connection` and returning to db 0.
    static func sizes(_ connection: RESPConnection, databases: [Int]) async throws -> [Int: Int] {
        var commands: [RESPCommand] = []
        for database in databases {
            commands.append(RESPCommand("SELECT", RESPArgument(database)))
            commands.append(RESPCommand("DBSIZE"))
        }
        commands.append(RESPCommand("SELECT", 0))
        let replies = try await connection.pipeline(commands)
        var sizes: [Int: Int] = [:]
        for (index, database) in databases.enumerated() {
            if let error = replies[2 * index].serverError { throw RESPError.server(error) }
            guard let size = replies[2 * index + 1].int else {
                throw SyncError.unexpectedReply(command: "DBSIZE", reply: "\(replies[2 * index + 1])")
            }
            sizes[database] = Int(size)
        }
        return sizes
    }

    /// The `SCAN` command for one step.
    static func scanCommand(cursor: String, count: Int) -> RESPCommand {
        RESPCommand("SCAN", RESPArgument(cursor), "COUNT", RESPArgument(count))
    }

    /// Splits a `SCAN`-family reply into the next cursor ("0" when done) and the returned elements.
    static func scanReply(_ reply: RESPValue, command: String = "SCAN") throws -> (
        cursor: String, elements: [ByteBuffer]
    ) {
        if let error = reply.serverError { throw RESPError.server(error) }
        guard let parts = reply.array, parts.count == 2, let cursor = parts[0].string, let items = parts[1].array else {
            throw SyncError.unexpectedReply(command: command, reply: "\(reply)")
        }
        var elements: [ByteBuffer] = []
        elements.reserveCapacity(items.count)
        for item in items {
            guard let bytes = item.bytes else { throw SyncError.unexpectedReply(command: command, reply: "\(item)") }
            elements.append(bytes)
        }
        return (cursor, elements)
    }

    /// Milliseconds since the Unix epoch on this machine.
    static func nowMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
