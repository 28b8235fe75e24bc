import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

@Suite(
    "Scan copier and verifier against redis-server",
    .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct ScanCopierIntegrationTests {
    @Test("every type in three dbs is copied with TTLs, and verification passes")
    func copyThenVerify() async throws {
        try await withSourceAndTarget { source, target in
            let seed = try await source.connect()
            var total = 0
            for database in [0, 2, 5] { total += try await seedEveryType(seed, database: database) }
            await seed.close()

            let updates = Mutex<[CopyProgress]>([])
            let report = try await ScanCopier(source: source.endpoint, target: target.endpoint)
                .run { progress in updates.withLock { $0.append(progress) } }
            #expect(report.keys == total)
            #expect(report.keysPerDatabase == [0: 12, 2: 12, 5: 12])
            #expect(report.bigKeys == 0)
            #expect(report.bytes > 0)
            let last = updates.withLock { $0.last }
            #expect(last?.keysDone == total)
            #expect(last?.keysTotal == total)

            let check = try await target.connect(database: 2)
            #expect(
                try await check.send(RESPCommand("GET", RESPArgument(Array("db2:".utf8) + binaryKey))).bytes.map {
                    Array($0.readableBytesView)
                } == [0x00, 0xFF, 0x80, 0x0D, 0x0A])
            let sourceCheck = try await source.connect(database: 2)
            for member in ["a", "b", "c", "d"] {
                let command = RESPCommand("ZSCORE", "db2:zset", RESPArgument(member))
                #expect(try await check.send(command) == sourceCheck.send(command))
            }
            await sourceCheck.close()
            let ttl = try await check.send(RESPCommand("PTTL", "db2:volatile")).int ?? -1
            #expect(ttl > 3_500_000 && ttl <= 3_600_000)
            #expect(try await check.send(RESPCommand("PTTL", "db2:string")).int == -1)
            await check.close()

            let verification = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
            #expect(verification.passed, "\(verification.mismatches)")
            #expect(verification.keysChecked == total)
            #expect(verification.summary == "\(total) keys match in 3 dbs")
            #expect(verification.sourceKeysPerDatabase == [0: 12, 2: 12, 5: 12])
            #expect(verification.targetKeysPerDatabase == verification.sourceKeysPerDatabase)
        }
    }

    @Test("verification reports exactly the damage done to the target, with digests and with DUMP")
    func verifyFindsDamage() async throws {
        try await withSourceAndTarget { source, target in
            let seed = try await source.connect()
            var total = 0
            for database in [0, 1] { total += try await seedEveryType(seed, database: database) }
            await seed.close()
            _ = try await ScanCopier(source: source.endpoint, target: target.endpoint).run { _ in }

            let damage = try await target.connect(database: 1)
            try await run(
                damage,
                [
                    RESPCommand("DEL", "db1:list"),
                    RESPCommand("HSET", "db1:hash", "f2", "changed"),
                    RESPCommand("SET", "db1:extra", "only here"),
                    RESPCommand("PEXPIRE", "db1:string", 60_000),
                    RESPCommand("DEL", "db1:set"),
                    RESPCommand("RPUSH", "db1:set", "now a list"),
                ])
            // Same content as the source, other encoding: a hash forced into a hashtable.
            try await damage.select(0)
            try await run(
                damage,
                [
                    RESPCommand("HSET", "db0:hash", "big", RESPArgument(String(repeating: "x", count: 200))),
                    RESPCommand("HDEL", "db0:hash", "big"),
                ])
            await damage.close()

            for useDigest in [true, false] {
                let report = try await Verifier(
                    source: source.endpoint, target: target.endpoint, options: .init(useDigest: useDigest)
                ).run { _, _ in }
                let found = Set(report.mismatches.map { "\($0.database) \($0.key) \($0.kind.rawValue)" })
                #expect(
                    found == [
                        "1 db1:list missing", "1 db1:hash value", "1 db1:extra extra", "1 db1:string ttl",
                        "1 db1:set type",
                    ], "useDigest \(useDigest)")
                #expect(!report.passed)
                #expect(report.mismatchCount == 5)
                #expect(report.summary == "5 of \(total) keys differ (1 missing, 1 extra, 1 type, 1 value, 1 ttl)")
                #expect(report.mismatches.first { $0.kind == .type }?.detail == "source set, target list")
            }
        }
    }

    @Test("copying twice converges")
    func idempotent() async throws {
        try await withSourceAndTarget { source, target in
            let seed = try await source.connect()
            let total = try await seedEveryType(seed, database: 3)
            await seed.close()
            let copier = ScanCopier(
                source: source.endpoint, target: target.endpoint, options: .init(batchSize: 4))
            let first = try await copier.run { _ in }
            let second = try await copier.run { _ in }
            #expect(first.keys == total)
            #expect(second.keys == total)
            let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
            #expect(report.passed, "\(report.mismatches)")
        }
    }

    @Test("big keys of every type are copied in parts and verify clean")
    func bigKeys() async throws {
        try await withSourceAndTarget { source, target in
            let seed = try await source.connect()
            var commands: [RESPCommand] = [
                RESPCommand("SET", "big:string", RESPArgument(noise(500))),
                RESPCommand("SET", RESPArgument(Array("big:".utf8) + binaryKey), RESPArgument(noise(300, seed: 7))),
                RESPCommand("SET", "small", "stays a RESTORE"),
            ]
            var list: [RESPArgument] = ["big:list"]
            var hash: [RESPArgument] = ["big:hash"]
            var set: [RESPArgument] = ["big:set"]
            var zset: [RESPArgument] = ["big:zset"]
            for index in 0..<50 {
                list.append(RESPArgument("element-\(index)"))
                hash += [RESPArgument("field-\(index)"), RESPArgument("value-\(index)")]
                set.append(RESPArgument("member-\(index)"))
                zset += [RESPArgument("\(Double(index) / 3)"), RESPArgument("member-\(index)")]
                commands.append(
                    RESPCommand("XADD", "big:stream", RESPArgument("\(index + 1)-\(index)"), "n", RESPArgument(index)))
            }
            commands += [
                RESPCommand("RPUSH", arguments: list), RESPCommand("HSET", arguments: hash),
                RESPCommand("SADD", arguments: set), RESPCommand("ZADD", arguments: zset),
                RESPCommand("XDEL", "big:stream", "50-49"),
                RESPCommand("XGROUP", "CREATE", "big:stream", "workers", "10-9"),
                RESPCommand("XGROUP", "CREATE", "big:stream", "late", "$"),
                RESPCommand("PEXPIRE", "big:hash", 3_600_000),
            ]
            try await run(seed, commands)
            await seed.close()

            let report = try await ScanCopier(
                source: source.endpoint, target: target.endpoint,
                options: .init(bigValueBytes: 64, chunkElements: 7)
            ).run { _ in }
            #expect(report.keys == 8)
            #expect(report.bigKeys == 7)

            let verification = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
            #expect(verification.passed, "\(verification.mismatches)")

            let sourceCheck = try await source.connect()
            let targetCheck = try await target.connect()
            for command in [
                RESPCommand("XINFO", "GROUPS", "big:stream"), RESPCommand("ZRANGE", "big:zset", 0, -1, "WITHSCORES"),
                RESPCommand("LRANGE", "big:list", 0, -1), RESPCommand("KEYS", "__kvmove:*"),
            ] {
                #expect(try await sourceCheck.send(command) == targetCheck.send(command), "\(command.name)")
            }
            let sourceInfo = try await sourceCheck.send(RESPCommand("XINFO", "STREAM", "big:stream")).pairs ?? []
            let targetInfo = try await targetCheck.send(RESPCommand("XINFO", "STREAM", "big:stream")).pairs ?? []
            for field in ["length", "last-generated-id", "max-deleted-entry-id", "entries-added"] {
                #expect(
                    sourceInfo.first { $0.key.string == field }?.value
                        == targetInfo.first { $0.key.string == field }?.value,
                    "\(field)")
            }
            let ttl = try await targetCheck.send(RESPCommand("PTTL", "big:hash")).int ?? -1
            #expect(ttl > 3_500_000)
            await sourceCheck.close()
            await targetCheck.close()
        }
    }

    @Test("a key keeps its absolute expiry")
    func absoluteExpiry() async throws {
        try await withSourceAndTarget { source, target in
            let seed = try await source.connect()
            let expireAt = 4_102_444_800_000  // 2100-01-01
            try await run(
                seed,
                [
                    RESPCommand("SET", "deadline", "v"), RESPCommand("PEXPIREAT", "deadline", RESPArgument(expireAt)),
                    RESPCommand("SET", "soon", "v", "PX", 600_000),
                ])
            // A relative TTL set on the source becomes the same absolute deadline on the target, however
            // long the copy takes (so no short TTL that a slow machine could outlive).
            let soonAt = try await seed.send(RESPCommand("PEXPIRETIME", "soon")).int ?? 0
            await seed.close()
            _ = try await ScanCopier(source: source.endpoint, target: target.endpoint).run { _ in }
            let check = try await target.connect()
            let copied = try await check.send(RESPCommand("PEXPIRETIME", "deadline")).int ?? 0
            #expect(abs(copied - Int64(expireAt)) <= 50)
            let soon = try await check.send(RESPCommand("PEXPIRETIME", "soon")).int ?? 0
            #expect(soonAt > 0 && abs(soon - soonAt) <= 50)
            await check.close()
        }
    }
}
