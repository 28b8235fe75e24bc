import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Testing

/// A hostile dataset through the live channel: every type and encoding, binary, very long and big keys,
/// TTLs, several databases and a function library, in the snapshot and in the stream.
@Suite("Live sync channel: hostile dataset", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct ReplicaChannelDatasetTests {
    static let library = """
        #!lua name=kvhostile
        redis.register_function('kvhostile_echo', function(keys, args) return args[1] end)
        redis.register_function{function_name='kvhostile_len', callback=function(keys, args) return #args end, flags={'no-writes'}}
        """

    /// A key made of every byte value.
    static let everyByteKey: [UInt8] = Array(0...255)

    /// Seeds one database with every type in every encoding `redis-server` 7 has; returns each key with the
    /// encoding it must have on the source (nil where the encoding is not the point).
    static func seed(_ connection: RESPConnection, database: Int, prefix: String) async throws -> [([UInt8], String?)] {
        try await connection.select(database)
        let p = "\(prefix)db\(database):"
        var expected: [([UInt8], String?)] = []
        func key(_ name: String, _ encoding: String?) -> RESPArgument {
            expected.append((Array((p + name).utf8), encoding))
            return RESPArgument(p + name)
        }
        var commands: [RESPCommand] = [
            RESPCommand("SET", key("int", "int"), 12345),
            RESPCommand("SET", key("embstr", "embstr"), "short"),
            RESPCommand("SET", key("raw", "raw"), RESPArgument(String(repeating: "r", count: 200))),
            RESPCommand("SET", key("empty", nil), ""),
            RESPCommand("SET", key("big-string", "raw"), RESPArgument(noise(3 << 20, seed: UInt64(database) + 1))),
            RESPCommand("SETBIT", key("bitmap", nil), 100_000, 1),
            RESPCommand("PFADD", key("hll", nil), "a", "b", "c", "d"),
            RESPCommand("RPUSH", key("list-small", nil), "a", "b", "c", "a", 1, 2),
            RESPCommand(
                "SADD", key("intset", "intset"), 1, 2, 3, -9_223_372_036_854_775_807, 9_223_372_036_854_775_806),
            RESPCommand("SADD", key("set-hashtable", "hashtable"), "x", "y", "z"),
            RESPCommand("HSET", key("hash-listpack", "listpack"), "f1", "v1", "f2", "v2", "n", 3),
            RESPCommand(
                "HSET", key("hash-long-value", "hashtable"), "f", RESPArgument(String(repeating: "v", count: 100))),
            RESPCommand(
                "ZADD", key("zset-listpack", "listpack"), "0.1", "a", "-inf", "b", "1e-300", "c", "3", "d", "inf", "e"),
            RESPCommand(
                "GEOADD", key("geo", nil), "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
        ]
        let manyInts = (0..<600).map { RESPArgument($0 * 7) }
        commands.append(RESPCommand("SADD", arguments: [key("intset-too-big", "hashtable")] + manyInts))
        commands.append(
            RESPCommand("SADD", arguments: [key("set-big", "hashtable")] + (0..<2000).map { RESPArgument("m\($0)") }))
        commands.append(
            RESPCommand(
                "RPUSH",
                arguments: [key("quicklist", "quicklist")] + (0..<20_000).map { RESPArgument("item-\($0 % 97)-\($0)") })
        )
        commands.append(
            RESPCommand(
                "HSET",
                arguments: [key("hash-hashtable", "hashtable")]
                    + (0..<1000).flatMap { [RESPArgument("f\($0)"), RESPArgument("v\($0)")] }))
        commands.append(
            RESPCommand(
                "ZADD",
                arguments: [key("zset-skiplist", "skiplist")]
                    + (0..<1000).flatMap { [RESPArgument("\(Double($0) / 3)"), RESPArgument("m\($0)")] }))
        // Expiries: relative and absolute, on several types, far enough away that the channel keeps them as they are.
        commands += [
            RESPCommand("SET", key("ttl-string", nil), "soon", "PX", 3_600_000),
            RESPCommand("HSET", key("ttl-hash", nil), "a", "b"),
            RESPCommand("PEXPIRE", RESPArgument(p + "ttl-hash"), 7_200_000),
            RESPCommand("SADD", key("ttl-set", nil), 1, 2),
            RESPCommand("EXPIREAT", RESPArgument(p + "ttl-set"), 4_102_444_800),
        ]
        // Binary keys and values, a key of every byte value, and a very long key (64 KiB).
        commands.append(
            RESPCommand("SET", RESPArgument(Array(p.utf8) + binaryKey), RESPArgument([0x00, 0xFF, 0x80, 0x0D, 0x0A])))
        expected.append((Array(p.utf8) + binaryKey, nil))
        commands.append(RESPCommand("RPUSH", RESPArgument(Array(p.utf8) + everyByteKey), RESPArgument(everyByteKey)))
        expected.append((Array(p.utf8) + everyByteKey, nil))
        let longKey = Array(p.utf8) + Array(repeating: UInt8(ascii: "k"), count: 64 << 10)
        commands.append(RESPCommand("HSET", RESPArgument(longKey), RESPArgument(everyByteKey), RESPArgument(longKey)))
        expected.append((longKey, nil))
        try await run(connection, commands)

        // Streams: entries, deletions, trimming, two consumer groups with consumers and pending entries.
        let stream = key("stream", "stream")
        var streamCommands: [RESPCommand] = (1...500).map {
            RESPCommand(
                "XADD", stream, RESPArgument("\($0)-1"), "field", RESPArgument("value \($0)"), "n", RESPArgument($0))
        }
        streamCommands += [
            RESPCommand("XDEL", stream, "3-1", "7-1"),
            RESPCommand("XGROUP", "CREATE", stream, "readers", "0"),
            RESPCommand("XGROUP", "CREATE", stream, "latecomers", "250-1"),
            RESPCommand("XGROUP", "CREATECONSUMER", stream, "readers", "idle-consumer"),
            RESPCommand("XREADGROUP", "GROUP", "readers", "alice", "COUNT", 10, "STREAMS", stream, ">"),
            RESPCommand("XREADGROUP", "GROUP", "readers", "bob", "COUNT", 5, "STREAMS", stream, ">"),
            RESPCommand("XACK", stream, "readers", "1-1", "2-1"),
            RESPCommand("XREADGROUP", "GROUP", "latecomers", "carol", "COUNT", 3, "STREAMS", stream, ">"),
        ]
        let emptyStream = key("stream-trimmed-empty", "stream")
        streamCommands += [
            RESPCommand("XADD", emptyStream, "5-5", "f", "v"),
            RESPCommand("XTRIM", emptyStream, "MAXLEN", 0),
            RESPCommand("XGROUP", "CREATE", emptyStream, "g", "$"),
        ]
        try await run(connection, streamCommands)
        try await connection.select(0)
        return expected
    }

    /// Checks that the source holds each key in the encoding the dataset is meant to cover.
    static func expectEncodings(_ connection: RESPConnection, database: Int, _ keys: [([UInt8], String?)]) async throws
    {
        try await connection.select(database)
        for (key, encoding) in keys {
            guard let encoding else { continue }
            let reply = try await connection.send(RESPCommand("OBJECT", "ENCODING", RESPArgument(key)))
            #expect(reply.string == encoding, "\(String(decoding: key, as: UTF8.self)) in db \(database)")
        }
        try await connection.select(0)
    }

    @Test(
        "every type and encoding arrives exactly: the verifier passes and a type-by-type read agrees",
        arguments: [nil, "127.0.0.1"] as [String?])
    func hostileDataset(relayHost: String?) async throws {
        try await RedisServerFixture.with(arguments: channelSourceArguments + ["--list-compress-depth", "1"]) {
            source in
            try await RedisServerFixture.with { target in
                let seeding = try await source.connect()
                var seeded: [Int: [([UInt8], String?)]] = [:]
                for database in [0, 1, 7, 15] {
                    seeded[database] = try await Self.seed(seeding, database: database, prefix: "snapshot:")
                }
                _ = try await seeding.send(RESPCommand("FUNCTION", "LOAD", RESPArgument(Self.library)))

                let status = ChannelStatus()
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "hostile",
                    options: ReplicaChannel.Options(relayHost: relayHost))
                let running = Task { try await channel.run(status: status) }
                try await waitUntil("streaming", timeout: .seconds(60)) { status.snapshot.phase == .streaming }
                // The same dataset again, this time through the command stream, in other databases.
                for database in [2, 15] {
                    let keys = try await Self.seed(seeding, database: database, prefix: "stream:")
                    seeded[database, default: []] += keys
                }
                for (database, keys) in seeded { try await Self.expectEncodings(seeding, database: database, keys) }
                await seeding.close()
                try await waitCaughtUp(source, status, timeout: .seconds(60))

                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                #expect(report.mismatchCount == 0)
                #expect(report.functions?.outcome == .match)
                #expect(report.functions?.sourceLibraries == 1)
                #expect(report.summary.hasSuffix("; 1 function library matches"), "\(report.summary)")

                let compared = try await ContentComparison.compare(source: source, target: target)
                #expect(compared.differences.isEmpty, "\(compared.differences.prefix(10))")
                #expect(compared.keys == seeded.values.reduce(0) { $0 + $1.count })
                let snapshot = status.snapshot
                #expect(snapshot.fullSyncs == 1)
                #expect(snapshot.errorReplies == 0)
                #expect(snapshot.fullSyncMethod == (relayHost == nil ? .restore : .relay))
                running.cancel()
                _ = await running.result
            }
        }
    }

    @Test(
        "a value larger than the target's proto-max-bulk-len arrives (chunked) or stops the channel naming the key")
    func valueAboveTargetBulkLimit() async throws {
        try await RedisServerFixture.with(arguments: channelSourceArguments) { source in
            try await RedisServerFixture.with(arguments: ["--proto-max-bulk-len", "1mb"]) { target in
                let seeding = try await source.connect()
                try await run(
                    seeding,
                    [
                        RESPCommand("SET", "huge", RESPArgument(noise(3 << 20))),
                        RESPCommand(
                            "RPUSH", "huge-list", RESPArgument(noise(600 << 10)),
                            RESPArgument(noise(600 << 10, seed: 7))),
                        RESPCommand("SET", "small", "v"),
                    ])
                await seeding.close()
                let status = ChannelStatus()
                let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "bulk")
                let running = Task { try await channel.run(status: status, retryDelay: .milliseconds(50)) }
                do {
                    try await waitUntil("streaming or failed", timeout: .seconds(30)) {
                        [.streaming, .failed].contains(status.snapshot.phase)
                    }
                } catch {
                    Issue.record("neither streaming nor failed: \(status.snapshot)")
                }
                let snapshot = status.snapshot
                if snapshot.phase == .failed {
                    #expect(snapshot.lastError?.contains("huge") == true, "\(snapshot.lastError ?? "")")
                } else if snapshot.phase == .streaming {
                    let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                    #expect(report.passed, "\(report.summary)")
                    #expect(snapshot.fullSyncs == 1)
                }
                running.cancel()
                _ = await running.result
            }
        }
    }
}

/// Compares two servers key by key with type-specific reads, independently of the verifier and of `DUMP`.
enum ContentComparison {
    struct Result {
        var keys = 0
        var differences: [String] = []
    }

    /// Every key of every database of the source, read the same way on both sides; plus key counts per
    /// database (the target's checkpoint key aside) and `FUNCTION LIST WITHCODE`.
    static func compare(source: RedisServerFixture, target: RedisServerFixture) async throws -> Result {
        let onSource = try await source.connect()
        let onTarget = try await target.connect()
        var result = Result()
        for database in 0..<16 {
            try await onSource.select(database)
            try await onTarget.select(database)
            var sourceKeys = try await allKeys(onSource)
            let targetKeys = try await allKeys(onTarget).filter { !ReplicaChannel.isChannelKey($0) }
            sourceKeys.sort { $0.readableBytesView.lexicographicallyPrecedes($1.readableBytesView) }
            let sortedTarget = targetKeys.sorted {
                $0.readableBytesView.lexicographicallyPrecedes($1.readableBytesView)
            }
            if sourceKeys != sortedTarget {
                result.differences.append(
                    "db \(database): \(sourceKeys.count) keys on the source, \(sortedTarget.count) on the target")
            }
            for key in sourceKeys {
                result.keys += 1
                let name = "db \(database) \(String(decoding: key.readableBytesView.prefix(60), as: UTF8.self))"
                let (fromSource, fromTarget) = (try await read(key, onSource), try await read(key, onTarget))
                if fromSource.content != fromTarget.content {
                    result.differences.append("\(name): content differs")
                }
                switch (fromSource.ttl, fromTarget.ttl) {
                case (-1, -1): break
                case (let a, let b) where a >= 0 && b >= 0 && abs(a - b) <= 2000: break
                case (let a, let b):
                    result.differences.append("\(name): PEXPIRETIME \(a) on the source, \(b) on the target")
                }
            }
        }
        let functions = [
            libraries(try await onSource.send(RESPCommand("FUNCTION", "LIST", "WITHCODE"))),
            libraries(try await onTarget.send(RESPCommand("FUNCTION", "LIST", "WITHCODE"))),
        ]
        if functions[0] != functions[1] || functions[0].count != 1 {
            result.differences.append("FUNCTION LIST differs: \(functions[0]) vs \(functions[1])")
        }
        await onSource.close()
        await onTarget.close()
        return result
    }

    /// Each library of a `FUNCTION LIST WITHCODE` reply as text: name, engine, code, and its functions (name,
    /// description, flags) sorted by name, since the server lists them in no particular order.
    private static func libraries(_ reply: RESPValue) -> [String] {
        (reply.array ?? []).map { library in
            let fields = fieldMap(library)
            let functions = (fields["functions"]?.array ?? []).map { function in
                let fields = fieldMap(function)
                let flags = (fields["flags"]?.array ?? []).compactMap(\.string).sorted()
                return "\(fields["name"]?.string ?? "?") \(fields["description"]?.string ?? "-") \(flags)"
            }.sorted()
            return [
                fields["library_name"]?.string ?? "?", fields["engine"]?.string ?? "?",
                fields["library_code"]?.string ?? "?",
            ].joined(separator: " | ") + " | " + functions.joined(separator: ", ")
        }.sorted()
    }

    private static func allKeys(_ connection: RESPConnection) async throws -> [ByteBuffer] {
        var keys: [ByteBuffer] = []
        var cursor = "0"
        repeat {
            let reply = try await connection.send(RESPCommand("SCAN", RESPArgument(cursor), "COUNT", 1000))
            guard let parts = reply.array, parts.count == 2 else { throw ConditionTimeout(description: "bad SCAN") }
            cursor = parts[0].string ?? "0"
            keys += (parts[1].array ?? []).compactMap(\.bytes)
        } while cursor != "0"
        return Array(Set(keys))
    }

    /// A key's type, content as a type-specific read returns it (sorted where the type keeps no order) and TTL.
    private static func read(_ key: ByteBuffer, _ connection: RESPConnection) async throws -> (
        content: [RESPValue], ttl: Int64
    ) {
        let k = RESPArgument(key)
        let type = try await connection.send(RESPCommand("TYPE", k)).string ?? "none"
        // The absolute deadline, so reading one side after the other (slowly, on a loaded machine) changes nothing.
        let ttl = try await connection.send(RESPCommand("PEXPIRETIME", k)).int ?? -3
        var content: [RESPValue] = [.simpleString(type)]
        switch type {
        case "string":
            content.append(try await connection.send(RESPCommand("GET", k)))
        case "list":
            content.append(try await connection.send(RESPCommand("LRANGE", k, 0, -1)))
        case "set":
            content += sorted(try await connection.send(RESPCommand("SMEMBERS", k)).array ?? [])
        case "zset":
            content.append(try await connection.send(RESPCommand("ZRANGE", k, 0, -1, "WITHSCORES")))
        case "hash":
            let flat = try await connection.send(RESPCommand("HGETALL", k)).array ?? []
            let pairs = stride(from: 0, to: flat.count - 1, by: 2).map { [flat[$0], flat[$0 + 1]] }
            content += pairs.sorted { bytes($0[0]).lexicographicallyPrecedes(bytes($1[0])) }.flatMap { $0 }
        case "stream":
            content.append(try await connection.send(RESPCommand("XRANGE", k, "-", "+")))
            let info = try await connection.send(RESPCommand("XINFO", "STREAM", k))
            let fields = fieldMap(info)
            for name in [
                "length", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id",
            ] {
                content.append(fields[name] ?? .null)
            }
            let groups = try await connection.send(RESPCommand("XINFO", "GROUPS", k)).array ?? []
            for group in groups {
                content.append(group)
                guard let groupName = fieldMap(group)["name"]?.bytes else { continue }
                content.append(try await connection.send(RESPCommand("XPENDING", k, RESPArgument(groupName))))
                let consumers = try await connection.send(RESPCommand("XINFO", "CONSUMERS", k, RESPArgument(groupName)))
                // Idle times move on by themselves; names and pending counts must match.
                for consumer in consumers.array ?? [] {
                    let fields = fieldMap(consumer)
                    content += [fields["name"] ?? .null, fields["pending"] ?? .null]
                }
                let pending = try await connection.send(
                    RESPCommand("XPENDING", k, RESPArgument(groupName), "-", "+", 1000))
                for entry in pending.array ?? [] {
                    // id, consumer and delivery count; the idle time moves on.
                    let parts = entry.array ?? []
                    content += [
                        parts.first ?? .null, parts.count > 1 ? parts[1] : .null, parts.count > 3 ? parts[3] : .null,
                    ]
                }
            }
        default:
            content.append(.simpleString("unexpected type"))
        }
        return (content, ttl)
    }

    private static func bytes(_ value: RESPValue) -> [UInt8] {
        value.bytes.map { Array($0.readableBytesView) } ?? []
    }

    private static func sorted(_ values: [RESPValue]) -> [RESPValue] {
        values.sorted { bytes($0).lexicographicallyPrecedes(bytes($1)) }
    }

    private static func fieldMap(_ value: RESPValue) -> [String: RESPValue] {
        let elements = value.array ?? []
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: elements.count - 1, by: 2) {
            if let name = elements[index].string { fields[name] = elements[index + 1] }
        }
        return fields
    }
}
