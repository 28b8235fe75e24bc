import KVMoveRESP
import NIOCore

/// Copies one key element by element, for values too big for one `RESTORE`.
///
/// The value is built in a temporary key on the target (`__kvmove:tmp:<key>`) and then renamed over the
/// key in a `MULTI` block with its expiry, so readers of the target never see half a value. Per type:
/// strings with `GETRANGE` + `APPEND`, lists with `LRANGE` + `RPUSH`, hashes with `HSCAN` + `HSET`, sets
/// with `SSCAN` + `SADD`, sorted sets with `ZSCAN` + `ZADD` (scores in the exact text Redis returns), and
/// streams with `XRANGE` + `XADD` with explicit ids, then `XSETID` and `XGROUP CREATE … ENTRIESREAD` for
/// each consumer group. Not copied for streams: pending entries lists (PELs) and consumers. Not atomic
/// with respect to writes on the source while the key is being copied.
struct ChunkedKeyCopier: Sendable {
    var reader: RESPConnection
    var writer: RESPConnection
    var database: Int
    var chunkElements: Int
    var chunkBytes: Int

    static let temporaryPrefix = "__kvmove:tmp:"

    /// Copies `key`; returns false when it vanished from the source meanwhile.
    func copy(_ key: ByteBuffer, expireAt: Int64?) async throws -> Bool {
        let type = try await reader.send(RESPCommand("TYPE", RESPArgument(key))).string ?? "none"
        var temporary = ByteBuffer(string: Self.temporaryPrefix)
        temporary.writeImmutableBuffer(key)
        try await write([RESPCommand("DEL", RESPArgument(temporary))], key: key)
        switch type {
        case "none": return false
        case "string": try await copyString(key, into: temporary)
        case "list": try await copyList(key, into: temporary)
        case "hash": try await copyScanned(key, into: temporary, scan: "HSCAN", write: "HSET", swapPairs: false)
        case "set": try await copyScanned(key, into: temporary, scan: "SSCAN", write: "SADD", swapPairs: false)
        case "zset": try await copyScanned(key, into: temporary, scan: "ZSCAN", write: "ZADD", swapPairs: true)
        case "stream": try await copyStream(key, into: temporary)
        default:
            throw SyncError.unsupportedType(database: database, key: KeyText.printable(key), type: type)
        }
        let exists = try await writer.send(RESPCommand("EXISTS", RESPArgument(temporary))).int ?? 0
        guard exists == 1 else {  // the value became empty while copying: so is the key
            try await write([RESPCommand("DEL", RESPArgument(key))], key: key)
            return false
        }
        var commands = [RESPCommand("MULTI"), RESPCommand("RENAME", RESPArgument(temporary), RESPArgument(key))]
        if let expireAt {
            commands.append(RESPCommand("PEXPIREAT", RESPArgument(key), RESPArgument(Int(expireAt))))
        }
        commands.append(RESPCommand("EXEC"))
        let replies = try await writer.pipeline(commands)
        for reply in replies {
            if let error = reply.serverError { throw bigKeyError(key, error) }
        }
        if let results = replies.last?.array {
            for result in results {
                if let error = result.serverError { throw bigKeyError(key, error) }
            }
        }
        return true
    }

    private func bigKeyError(_ key: ByteBuffer, _ error: RESPServerError) -> SyncError {
        .bigKeyFailed(database: database, key: KeyText.printable(key), error: error)
    }

    private func read(_ command: RESPCommand, key: ByteBuffer) async throws -> RESPValue {
        let reply = try await reader.pipeline([command])[0]
        if let error = reply.serverError { throw bigKeyError(key, error) }
        return reply
    }

    private func write(_ commands: [RESPCommand], key: ByteBuffer) async throws {
        for reply in try await writer.pipeline(commands) {
            if let error = reply.serverError { throw bigKeyError(key, error) }
        }
    }

    private func copyString(_ key: ByteBuffer, into temporary: ByteBuffer) async throws {
        var offset = 0
        while true {
            let reply = try await read(
                RESPCommand("GETRANGE", RESPArgument(key), RESPArgument(offset), RESPArgument(offset + chunkBytes - 1)),
                key: key)
            let chunk = reply.bytes ?? ByteBuffer()
            if chunk.readableBytes == 0 && offset > 0 { break }
            try await write([RESPCommand("APPEND", RESPArgument(temporary), RESPArgument(chunk))], key: key)
            offset += chunk.readableBytes
            if chunk.readableBytes < chunkBytes { break }
        }
    }

    private func copyList(_ key: ByteBuffer, into temporary: ByteBuffer) async throws {
        var start = 0
        while true {
            let reply = try await read(
                RESPCommand("LRANGE", RESPArgument(key), RESPArgument(start), RESPArgument(start + chunkElements - 1)),
                key: key)
            let elements = reply.array ?? []
            if elements.isEmpty { break }
            var arguments = [RESPArgument(temporary)]
            arguments.reserveCapacity(elements.count + 1)
            for element in elements { arguments.append(RESPArgument(element.bytes ?? ByteBuffer())) }
            try await write([RESPCommand("RPUSH", arguments: arguments)], key: key)
            start += elements.count
            if elements.count < chunkElements { break }
        }
    }

    /// Copies a hash, set or sorted set with its `*SCAN` command; `swapPairs` turns `member score` into `score member`.
    private func copyScanned(
        _ key: ByteBuffer,
        into temporary: ByteBuffer,
        scan: String,
        write command: String,
        swapPairs: Bool
    ) async throws {
        var cursor = "0"
        repeat {
            let reply = try await read(
                RESPCommand(scan, RESPArgument(key), RESPArgument(cursor), "COUNT", RESPArgument(chunkElements)),
                key: key)
            let step = try Keyspace.scanReply(reply, command: scan)
            cursor = step.cursor
            if step.elements.isEmpty { continue }
            var arguments = [RESPArgument(temporary)]
            arguments.reserveCapacity(step.elements.count + 1)
            if swapPairs {
                var index = 0
                while index + 1 < step.elements.count {
                    arguments.append(RESPArgument(step.elements[index + 1]))
                    arguments.append(RESPArgument(step.elements[index]))
                    index += 2
                }
            } else {
                for element in step.elements { arguments.append(RESPArgument(element)) }
            }
            try await write([RESPCommand(command, arguments: arguments)], key: key)
        } while cursor != "0"
    }

    private func copyStream(_ key: ByteBuffer, into temporary: ByteBuffer) async throws {
        var start = "-"
        var copiedAny = false
        while true {
            let reply = try await read(
                RESPCommand(
                    "XRANGE", RESPArgument(key), RESPArgument(start), "+", "COUNT", RESPArgument(chunkElements)),
                key: key)
            let entries = reply.array ?? []
            if entries.isEmpty { break }
            var commands: [RESPCommand] = []
            commands.reserveCapacity(entries.count)
            var lastID = ""
            for entry in entries {
                guard let parts = entry.array, parts.count == 2, let id = parts[0].string, let fields = parts[1].array
                else {
                    throw SyncError.unexpectedReply(command: "XRANGE", reply: "\(entry)")
                }
                lastID = id
                var arguments = [RESPArgument(temporary), RESPArgument(id)]
                for field in fields { arguments.append(RESPArgument(field.bytes ?? ByteBuffer())) }
                commands.append(RESPCommand("XADD", arguments: arguments))
            }
            try await write(commands, key: key)
            copiedAny = true
            start = "(" + lastID
            if entries.count < chunkElements { break }
        }

        let info = try await read(RESPCommand("XINFO", "STREAM", RESPArgument(key)), key: key)
        var fields: [String: RESPValue] = [:]
        for pair in info.pairs ?? [] {
            if let name = pair.key.string { fields[name] = pair.value }
        }
        let lastGenerated = fields["last-generated-id"]?.string ?? "0-0"
        if !copiedAny {
            // An empty stream: create it with one entry trimmed away at once.
            try await write(
                [RESPCommand("XADD", RESPArgument(temporary), "MAXLEN", "0", "0-1", "_", "_")], key: key)
        }
        if lastGenerated != "0-0" {
            var arguments: [RESPArgument] = [RESPArgument(temporary), RESPArgument(lastGenerated)]
            if let added = fields["entries-added"]?.int {
                arguments += ["ENTRIESADDED", RESPArgument(Int(added))]
            }
            if let maxDeleted = fields["max-deleted-entry-id"]?.string {
                arguments += ["MAXDELETEDID", RESPArgument(maxDeleted)]
            }
            try await write([RESPCommand("XSETID", arguments: arguments)], key: key)
        }

        let groups = try await read(RESPCommand("XINFO", "GROUPS", RESPArgument(key)), key: key)
        var commands: [RESPCommand] = []
        for group in groups.array ?? [] {
            var groupFields: [String: RESPValue] = [:]
            for pair in group.pairs ?? [] {
                if let name = pair.key.string { groupFields[name] = pair.value }
            }
            guard let name = groupFields["name"]?.bytes, let delivered = groupFields["last-delivered-id"]?.string else {
                continue
            }
            var arguments: [RESPArgument] = [
                "CREATE", RESPArgument(temporary), RESPArgument(name), RESPArgument(delivered),
            ]
            if let read = groupFields["entries-read"]?.int {
                arguments += ["ENTRIESREAD", RESPArgument(Int(read))]
            }
            commands.append(RESPCommand("XGROUP", arguments: arguments))
        }
        if !commands.isEmpty { try await write(commands, key: key) }
    }
}
