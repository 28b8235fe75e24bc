import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// The live channel against real redis-server processes: full sync, streaming, continue after faults.
@Suite("Live sync channel", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct ReplicaChannelTests {
    /// What a source needs for the channel: no 5 s delay before a diskless sync, and a backlog to continue from.
    static let sourceArguments = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"]

    /// Runs `body` with a source (seeded by `seed`) and a target.
    func withServers(
        _ body: (_ source: RedisServerFixture, _ target: RedisServerFixture) async throws -> Void
    ) async throws {
        try await RedisServerFixture.with(arguments: Self.sourceArguments) { source in
            try await RedisServerFixture.with { target in
                try await body(source, target)
            }
        }
    }

    /// Writes `SET w:<n> <n>` and `INCR counter` in pipelines of 20 until stopped, recording every `n` the
    /// source acknowledged.
    final class Writer: Sendable {
        let acknowledged = Mutex<[Int]>([])
        let stop = Atomic<Bool>(false)
        /// When above 0, every pipeline also writes a value of this many bytes (`SET pad:<n> …`).
        let paddingBytes: Int

        init(paddingBytes: Int = 0) { self.paddingBytes = paddingBytes }

        func run(_ source: RedisServerFixture) async throws {
            let connection = try await source.connect(clientName: "writer")
            var next = 0
            while !stop.load(ordering: .relaxed) {
                var commands: [RESPCommand] = []
                for n in next..<(next + 20) {
                    commands.append(RESPCommand("SET", RESPArgument("w:\(n)"), RESPArgument(n)))
                    commands.append(RESPCommand("INCR", "counter"))
                }
                if paddingBytes > 0 {
                    commands.append(
                        RESPCommand(
                            "SET", RESPArgument("pad:\(next % 50)"),
                            RESPArgument(String(repeating: "p", count: paddingBytes))))
                }
                let replies = try await connection.pipeline(commands)
                let done = (next..<(next + 20)).filter { replies[2 * ($0 - next)].serverError == nil }
                acknowledged.withLock { $0 += done }
                next += 20
                try await Task.sleep(for: .milliseconds(2))
            }
            await connection.close()
        }
    }

    /// Waits until the channel has applied everything the source has written so far.
    func waitCaughtUp(_ source: RedisServerFixture, _ status: ChannelStatus, timeout: Duration = .seconds(20))
        async throws
    {
        let control = try await source.connect()
        let info = try await control.send(RESPCommand("INFO", "replication")).string ?? ""
        await control.close()
        let offset = Int64(RedisInfo.fields(info)["master_repl_offset"] ?? "") ?? 0
        try await waitUntil("the channel applies up to offset \(offset)", timeout: timeout) {
            (status.snapshot.appliedOffset ?? -1) >= offset
        }
    }

    /// Every acknowledged write is on the target, and the counter matches.
    func expectAllArrived(_ writer: Writer, _ target: RedisServerFixture) async throws {
        let written = writer.acknowledged.withLock { $0 }
        #expect(written.count > 100)
        let connection = try await target.connect()
        var missing = 0
        for chunk in stride(from: 0, to: written.count, by: 1000) {
            let keys = written[chunk..<min(written.count, chunk + 1000)].map { RESPArgument("w:\($0)") }
            let present = try await connection.send(RESPCommand("EXISTS", arguments: keys)).int ?? 0
            missing += keys.count - Int(present)
        }
        #expect(missing == 0, "\(missing) of \(written.count) acknowledged writes are missing on the target")
        let counter = try await connection.send(RESPCommand("GET", "counter")).int
        #expect(counter == Int64(written.count))
        await connection.close()
    }

    @Test("writes made during the full sync and during streaming all arrive; the verifier passes")
    func fullSyncThenStreaming() async throws {
        try await withServers { source, target in
            let seeding = try await source.connect()
            for database in [0, 3] { try await seedEveryType(seeding, database: database) }
            try await seeding.select(0)
            for batch in 0..<20 {
                try await run(
                    seeding,
                    (0..<1000).map { RESPCommand("SET", RESPArgument("seed:\(batch):\($0)"), RESPArgument("v\($0)")) })
            }
            _ = try await seeding.send(
                RESPCommand(
                    "FUNCTION", "LOAD",
                    "#!lua name=kvtest\nredis.register_function('kvtest_echo', function(keys, args) return args[1] end)"
                ))
            await seeding.close()

            let status = ChannelStatus()
            let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "test")
            let writer = Writer()
            async let writes: Void = writer.run(source)
            let running = Task { try await channel.run(status: status) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            try await Task.sleep(for: .milliseconds(500))
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(source, status)
            try await expectAllArrived(writer, target)

            let report = try await DataPlane(source: source.endpoint, target: target.endpoint).verify { _, _ in }
            #expect(report.passed, "\(report.summary)")
            // The function library arrived with FUNCTION RESTORE: the target can call it.
            let called = try await target.connect().send(RESPCommand("FCALL", "kvtest_echo", "0", "hello"))
            #expect(called.string == "hello")
            let snapshot = status.snapshot
            #expect(snapshot.fullSyncs == 1)
            #expect(snapshot.fullSyncKeys >= 20_000)
            #expect(snapshot.errorReplies == 0)
            running.cancel()
            _ = await running.result
        }
    }

    @Test("a cut connection (CLIENT KILL TYPE replica) continues with +CONTINUE and loses no write")
    func cutConnectionContinues() async throws {
        try await withServers { source, target in
            let status = ChannelStatus()
            let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "cut")
            let writer = Writer()
            async let writes: Void = writer.run(source)
            let running = Task { try await channel.run(status: status, retryDelay: .milliseconds(50)) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            let control = try await source.connect()
            for round in 1...3 {
                try await Task.sleep(for: .milliseconds(300))
                let killed = try await control.send(RESPCommand("CLIENT", "KILL", "TYPE", "replica")).int ?? 0
                #expect(killed == 1)
                try await waitUntil("continued \(round) times", timeout: .seconds(20)) {
                    status.snapshot.continues >= round && status.snapshot.phase == .streaming
                }
            }
            await control.close()
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(source, status)
            try await expectAllArrived(writer, target)
            #expect(status.snapshot.fullSyncs == 1, "the backlog had the data: no second full sync")
            running.cancel()
            _ = await running.result
        }
    }

    @Test("stopped abruptly mid-stream and started again, the channel continues from the target's checkpoint")
    func abruptStopContinues() async throws {
        try await withServers { source, target in
            let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "abrupt")
            let writer = Writer()
            async let writes: Void = writer.run(source)
            let first = ChannelStatus()
            let running = Task { try await channel.run(status: first) }
            try await waitUntil("streaming", timeout: .seconds(30)) { first.snapshot.phase == .streaming }
            try await Task.sleep(for: .milliseconds(300))
            running.cancel()
            _ = await running.result
            try await Task.sleep(for: .milliseconds(200))

            let second = ChannelStatus()
            let again = Task { try await channel.run(status: second) }
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(source, second)
            try await expectAllArrived(writer, target)
            #expect(second.snapshot.continues == 1)
            #expect(second.snapshot.fullSyncs == 0)
            again.cancel()
            _ = await again.result
        }
    }

    @Test("a requested stop applies everything already read before the channel returns")
    func gracefulStopDrains() async throws {
        try await withServers { source, target in
            let status = ChannelStatus()
            let stop = ChannelStop()
            let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "drain")
            let running = Task { try await channel.run(status: status, stop: stop) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            // The target takes no writes for a while; the source's writes are read and held meanwhile.
            let targetControl = try await target.connect()
            _ = try await targetControl.send(RESPCommand("CLIENT", "PAUSE", "1500", "WRITE"))
            let writer = try await source.connect(clientName: "writer")
            for n in 0..<500 {
                _ = try await writer.send(RESPCommand("SET", RESPArgument("held:\(n)"), RESPArgument(n)))
            }
            let info = try await writer.send(RESPCommand("INFO", "replication")).string ?? ""
            let written = Int64(RedisInfo.fields(info)["master_repl_offset"] ?? "") ?? 0
            // All of them: what is applied plus what is held in memory reaches the source's offset (on a loaded
            // machine the first held bytes arrive well before the last).
            try await waitUntil("the channel has read the writes", timeout: .seconds(10)) {
                let seen = status.snapshot
                return (seen.appliedOffset ?? 0) + Int64(seen.bufferedBytes) >= written
            }
            try await Task.sleep(for: .milliseconds(200))
            stop.request()
            try await running.value  // returns, rather than throwing or waiting for a cancel
            // Nothing more is applied after the return: what is on the target is what the stop drained.
            #expect((status.snapshot.appliedOffset ?? 0) >= written, "\(status.snapshot)")
            let check = try await target.connect()
            let count = try await check.send(
                RESPCommand("EXISTS", arguments: (0..<500).map { RESPArgument("held:\($0)") }))
            #expect(count.int == 500)
            await check.close()
            await writer.close()
            await targetControl.close()
        }
    }

    @Test(
        "a slow target with a small replica output buffer on the source: the stream spools, is not dropped, loses nothing"
    )
    func slowTargetSpools() async throws {
        try await withServers { source, target in
            let control = try await source.connect()
            _ = try await control.send(
                RESPCommand("CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 1mb 0"))
            let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: spool) }
            let status = ChannelStatus()
            let channel = ReplicaChannel(
                source: source.endpoint, target: target.endpoint, name: "slow",
                options: ReplicaChannel.Options(memoryBufferBytes: 256 << 10, spoolDirectory: spool.path))
            let running = Task { try await channel.run(status: status) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            let writer = Writer(paddingBytes: 32 << 10)
            async let writes: Void = writer.run(source)
            let targetControl = try await target.connect()
            func sourceOffset() async throws -> Int64 {
                let info = try await control.send(RESPCommand("INFO", "replication")).string ?? ""
                return Int64(RedisInfo.fields(info)["master_repl_offset"] ?? "") ?? 0
            }
            for _ in 0..<2 {
                // The target takes no writes until more than twice the source's 1 MB replica limit of stream
                // has been written (however slowly a loaded machine writes), then resumes.
                let start = try await sourceOffset()
                _ = try await targetControl.send(RESPCommand("CLIENT", "PAUSE", "30000", "WRITE"))
                let deadline = ContinuousClock.now + .seconds(25)
                while try await sourceOffset() - start < 2 << 20, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                _ = try await targetControl.send(RESPCommand("CLIENT", "UNPAUSE"))
            }
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(source, status, timeout: .seconds(60))
            try await expectAllArrived(writer, target)
            let snapshot = status.snapshot
            #expect(snapshot.spooledBytesTotal > 1 << 20, "more than the source's 1 MB limit went through the spool")
            #expect(snapshot.spooledBytes == 0)
            #expect(snapshot.fullSyncs == 1, "the source never dropped the channel: no second full sync")
            #expect(snapshot.continues == 0)
            let sourceLog =
                (try? String(contentsOf: source.directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
            #expect(snapshot.lastError == nil, "source's log: \(sourceLog.suffix(1500))")
            let clients = try await control.send(RESPCommand("INFO", "replication")).string ?? ""
            #expect(RedisInfo.fields(clients)["connected_slaves"] == "1")
            await control.close()
            await targetControl.close()
            running.cancel()
            _ = await running.result
        }
    }

    @Test(
        "snapshot keys too big for one RESTORE arrive in parts: above the channel's threshold, above the target's proto-max-bulk-len",
        arguments: [(256 << 10, nil as String?, 2), (4 << 20, "1mb", 1)])
    func bigKeysInParts(bigValueBytes: Int, targetBulkLimit: String?, bigKeys: Int) async throws {
        try await withServers { source, target in
            let seeding = try await source.connect()
            // 300 kB that do not compress: above 256 kB, below 1 MB.
            let bigString = noise(300_000)
            _ = try await seeding.send(RESPCommand("SET", "big:string", RESPArgument(bigString)))
            _ = try await seeding.send(RESPCommand("PEXPIRE", "big:string", "3600000"))
            // About 1.5 MB of list: above both.
            for chunk in 0..<70 {
                let elements = (0..<1000).map { RESPArgument(noise(20, seed: UInt64(chunk * 1000 + $0))) }
                _ = try await seeding.send(RESPCommand("RPUSH", arguments: [RESPArgument("big:list")] + elements))
            }
            _ = try await seeding.send(RESPCommand("SET", "small", "value"))
            await seeding.close()
            let targetControl = try await target.connect()
            if let targetBulkLimit {
                _ = try await targetControl.send(
                    RESPCommand("CONFIG", "SET", "proto-max-bulk-len", RESPArgument(targetBulkLimit)))
            }

            let status = ChannelStatus()
            let channel = ReplicaChannel(
                source: source.endpoint, target: target.endpoint, name: "big",
                options: ReplicaChannel.Options(bigValueBytes: bigValueBytes, chunkElements: 2000))
            let running = Task { try await channel.run(status: status) }
            do {
                // The list goes over in 35 parts, two round trips each: slow when the whole suite shares 2 cores.
                try await waitUntil("streaming", timeout: .seconds(120)) { status.snapshot.phase == .streaming }
            } catch {
                Issue.record("the channel did not stream: \(status.snapshot)")
                throw error
            }
            let control = try await source.connect()
            // A write after the snapshot reaches the key copied in parts through the stream.
            _ = try await control.send(RESPCommand("RPUSH", "big:list", "tail"))
            try await waitCaughtUp(source, status)
            let snapshot = status.snapshot
            #expect(snapshot.fullSyncBigKeys == bigKeys)
            #expect(snapshot.fullSyncKeys == 3)
            #expect(snapshot.errorReplies == 0)
            #expect(
                try await targetControl.send(RESPCommand("GET", "big:string")).bytes == ByteBuffer(bytes: bigString))
            let ttl = try await targetControl.send(RESPCommand("PTTL", "big:string")).int ?? -1
            #expect(ttl > 3_000_000)
            let sourceList = try await control.send(RESPCommand("LRANGE", "big:list", "0", "-1"))
            let targetList = try await targetControl.send(RESPCommand("LRANGE", "big:list", "0", "-1"))
            #expect(sourceList.array?.count == 70_001)
            #expect(sourceList == targetList)
            #expect(try await targetControl.send(RESPCommand("GET", "small")).string == "value")
            await control.close()
            await targetControl.close()
            running.cancel()
            _ = await running.result
        }
    }

    @Test("a target that refuses a write (OOM) stops the channel with the target's error, nothing half-applied")
    func refusedWriteStops() async throws {
        try await withServers { source, target in
            let status = ChannelStatus()
            let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "oom")
            let running = Task { try await channel.run(status: status) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            let targetControl = try await target.connect()
            _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "maxmemory", "1"))
            let sourceControl = try await source.connect()
            _ = try await sourceControl.send(RESPCommand("SET", "refused", "value"))
            let result = await running.result
            guard case .failure(let error) = result, let failure = error as? ChannelFailure else {
                Issue.record("expected a ChannelFailure, got \(result)")
                return
            }
            #expect(failure.code == "OOM" || failure.code == "EXECABORT")
            #expect(failure.description.contains("the target refused"))
            #expect(status.snapshot.phase == .failed)
            _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "maxmemory", "0"))
            #expect(try await targetControl.send(RESPCommand("EXISTS", "refused")).int == 0)
            await targetControl.close()
            await sourceControl.close()
        }
    }
}
