import KVMoveRESP
import NIOCore

extension Verifier {
    /// Compares one big key of `type` on both sides in bounded pages; returns what differs, or nil when equal.
    ///
    /// No command reads more than ``Options/bigKeyPageElements`` elements or ``Options/bigKeyPageBytes`` bytes:
    /// lengths first (O(1)), then strings by `GETRANGE` windows, lists by `LRANGE` windows and streams by
    /// `XRANGE … COUNT`, side by side; hashes, sets and sorted sets by a `HSCAN`/`SSCAN`/`ZSCAN … COUNT` of the
    /// source whose batches are looked up on the target (`HMGET`, `SMISMEMBER`, `ZMSCORE`). With equal
    /// lengths, every source field found equal on the target means the two are equal. Each page read on the
    /// source waits for the pacer first.
    func compareBigKey(
        _ key: ByteBuffer,
        type: String,
        sourceConnection: RESPConnection,
        targetConnection: RESPConnection
    ) async throws -> String? {
        let page = max(1, options.bigKeyPageElements)
        let name = RESPArgument(key)
        let lengthCommand: String
        switch type {
        case "string": lengthCommand = "STRLEN"
        case "list": lengthCommand = "LLEN"
        case "hash": lengthCommand = "HLEN"
        case "set": lengthCommand = "SCARD"
        case "zset": lengthCommand = "ZCARD"
        case "stream": lengthCommand = "XLEN"
        default: return "value not compared (type \(type) has no paged read)"
        }
        try await pacer.take(1)
        async let sourceLength = Self.integer(RESPCommand(lengthCommand, name), on: sourceConnection)
        async let targetLength = Self.integer(RESPCommand(lengthCommand, name), on: targetConnection)
        let (length, otherLength) = try await (sourceLength, targetLength)
        guard length == otherLength else {
            return "value differs (\(type) length \(length) vs \(otherLength))"
        }
        switch type {
        case "string":
            let window = Int64(max(1, options.bigKeyPageBytes))
            var start: Int64 = 0
            while start < length {
                try Task.checkCancellation()
                let command = RESPCommand(
                    "GETRANGE", name, RESPArgument(Int(start)), RESPArgument(Int(start + window - 1)))
                try await pacer.take(1)
                async let fromSource = sourceConnection.send(command)
                async let fromTarget = targetConnection.send(command)
                let (left, right) = try await (fromSource, fromTarget)
                if left.bytes != right.bytes { return "value differs (bytes from offset \(start))" }
                start += window
            }
        case "list":
            var start: Int64 = 0
            while start < length {
                try Task.checkCancellation()
                let command = RESPCommand("LRANGE", name, RESPArgument(Int(start)), RESPArgument(Int(start) + page - 1))
                try await pacer.take(1)
                async let fromSource = sourceConnection.send(command)
                async let fromTarget = targetConnection.send(command)
                let (left, right) = try await (fromSource, fromTarget)
                guard let leftElements = left.array, let rightElements = right.array else {
                    throw SyncError.unexpectedReply(command: "LRANGE", reply: "\(left) / \(right)")
                }
                if let offset = leftElements.indices.first(where: {
                    $0 < rightElements.count && leftElements[$0].bytes != rightElements[$0].bytes
                }) {
                    return "value differs (list element \(start + Int64(offset)))"
                }
                if leftElements.count != rightElements.count { return "value differs (list changed while compared)" }
                start += Int64(page)
            }
        case "stream":
            var start = "-"
            while true {
                try Task.checkCancellation()
                let command = RESPCommand("XRANGE", name, RESPArgument(start), "+", "COUNT", RESPArgument(page))
                try await pacer.take(1)
                async let fromSource = sourceConnection.send(command)
                async let fromTarget = targetConnection.send(command)
                let (left, right) = try await (fromSource, fromTarget)
                var leftFlat: [ByteBuffer] = []
                var rightFlat: [ByteBuffer] = []
                Self.flatten(left, into: &leftFlat)
                Self.flatten(right, into: &rightFlat)
                if leftFlat != rightFlat { return "value differs (stream entries after \(start))" }
                guard let entries = left.array, entries.count == page, let lastID = entries.last?.array?.first?.string
                else { break }
                start = "(" + lastID
            }
        default:
            return try await compareUnordered(
                name, type: type, sourceConnection: sourceConnection, targetConnection: targetConnection, page: page)
        }
        return nil
    }

    /// Scans a hash, set or sorted set on the source and looks each batch up on the target.
    private func compareUnordered(
        _ name: RESPArgument,
        type: String,
        sourceConnection: RESPConnection,
        targetConnection: RESPConnection,
        page: Int
    ) async throws -> String? {
        let scan = type == "hash" ? "HSCAN" : type == "set" ? "SSCAN" : "ZSCAN"
        var cursor = "0"
        repeat {
            try Task.checkCancellation()
            try await pacer.take(1)
            let reply = try await sourceConnection.send(
                RESPCommand(scan, name, RESPArgument(cursor), "COUNT", RESPArgument(page)))
            if let error = reply.serverError { throw RESPError.server(error) }
            let step = try Keyspace.scanReply(reply)
            cursor = step.cursor
            let elements = step.elements
            guard !elements.isEmpty else { continue }
            switch type {
            case "set":
                // SMISMEMBER takes a bounded batch of one key's members: one slot, bounded bytes.
                for chunk in stride(from: 0, to: elements.count, by: page) {
                    let members = Array(elements[chunk..<min(chunk + page, elements.count)])
                    let present = try await membership(name, members, on: targetConnection)
                    if let missing = present.firstIndex(of: false) {
                        return "value differs (set member \(KeyText.printable(members[missing])) not on the target)"
                    }
                }
            default:
                guard elements.count % 2 == 0 else {
                    throw SyncError.unexpectedReply(command: scan, reply: "\(reply)")
                }
                let fields = stride(from: 0, to: elements.count, by: 2).map { elements[$0] }
                let values = stride(from: 1, to: elements.count, by: 2).map { elements[$0] }
                // COUNT is a hint: a scan step can return more than a page; look it up a page at a time.
                for chunk in stride(from: 0, to: fields.count, by: page) {
                    let range = chunk..<min(chunk + page, fields.count)
                    if let difference = try await lookUp(
                        name, type: type, fields: fields[range], values: values[range], on: targetConnection)
                    {
                        return difference
                    }
                }
            }
        } while cursor != "0"
        return nil
    }

    /// Looks a page of hash fields (`HMGET`) or sorted-set members (`ZMSCORE`) up on the target; what differs.
    private func lookUp(
        _ name: RESPArgument,
        type: String,
        fields: ArraySlice<ByteBuffer>,
        values: ArraySlice<ByteBuffer>,
        on connection: RESPConnection
    ) async throws -> String? {
        let lookup = type == "hash" ? "HMGET" : "ZMSCORE"
        let answer = try await connection.send(RESPCommand(lookup, arguments: [name] + fields.map { RESPArgument($0) }))
        if let error = answer.serverError { throw RESPError.server(error) }
        guard let found = answer.array, found.count == fields.count else {
            throw SyncError.unexpectedReply(command: lookup, reply: "\(answer)")
        }
        for (offset, (field, value)) in zip(fields, values).enumerated() {
            let equal =
                type == "hash"
                ? found[offset].bytes == value : Self.score(found[offset]) == Self.score(.bulkString(value))
            if !equal {
                let what = type == "hash" ? "hash field" : "sorted set member"
                return "value differs (\(what) \(KeyText.printable(field)))"
            }
        }
        return nil
    }

    /// Whether each member is in the set on this side: one `SMISMEMBER` (Redis 6.2+), else one `SISMEMBER` each.
    private func membership(
        _ name: RESPArgument,
        _ members: [ByteBuffer],
        on connection: RESPConnection
    ) async throws -> [Bool] {
        let reply = try await connection.send(
            RESPCommand("SMISMEMBER", arguments: [name] + members.map { RESPArgument($0) }))
        if let flags = reply.array, flags.count == members.count { return flags.map { $0.int == 1 } }
        let replies = try await connection.pipeline(members.map { RESPCommand("SISMEMBER", name, RESPArgument($0)) })
        return replies.map { $0.int == 1 }
    }

    /// A sorted-set score from a RESP2 bulk string or a RESP3 double; nil for a missing member.
    static func score(_ value: RESPValue) -> Double? {
        if case .double(let number) = value { return number }
        guard let text = value.string else { return nil }
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(text)
        }
    }

    /// Sends a command whose answer is an integer.
    static func integer(_ command: RESPCommand, on connection: RESPConnection) async throws -> Int64 {
        let reply = try await connection.send(command)
        if let error = reply.serverError { throw RESPError.server(error) }
        guard let value = reply.int else { throw SyncError.unexpectedReply(command: command.name, reply: "\(reply)") }
        return value
    }
}
