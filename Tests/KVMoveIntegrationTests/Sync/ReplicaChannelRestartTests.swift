import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// The live channel when a server restarts or the channel is killed mid-sync: no acknowledged write is lost,
/// none is applied twice, and the status counts exactly one continue or one full sync per fault.
@Suite(
    "Live sync channel: restarts", .serialized,
    .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct ReplicaChannelRestartTests {
    /// Stops a server with `SHUTDOWN` (which saves or flushes what its persistence settings say) and starts it
    /// again on the same port with its data.
    static func restart(_ server: RedisServerFixture, shutdown: RESPCommand) async throws -> RedisServerFixture {
        let control = try await server.connect()
        // The server closes the connection instead of answering a SHUTDOWN that succeeds.
        let reply = try? await control.send(shutdown)
        #expect(reply == nil, "SHUTDOWN answered \(String(describing: reply))")
        await control.close()
        #expect(try await server.waitForExit(timeout: .seconds(20)), "the server did not exit after SHUTDOWN")
        return try await server.relaunch()
    }

    /// Runs `body` with a source and a target that `body` may replace by restarting them; stops whichever
    /// processes are current at the end.
    static func withServers(
        sourceArguments: [String] = channelSourceArguments,
        targetArguments: [String] = [],
        _ body: (_ servers: inout (source: RedisServerFixture, target: RedisServerFixture)) async throws -> Void
    ) async throws {
        var servers = (
            source: try await RedisServerFixture.start(
                password: "fixture-\(UInt32.random(in: 0...UInt32.max))", arguments: sourceArguments),
            target: try await RedisServerFixture.start(
                password: "fixture-\(UInt32.random(in: 0...UInt32.max))", arguments: targetArguments)
        )
        do {
            try await body(&servers)
        } catch {
            await servers.source.stop()
            await servers.target.stop()
            throw error
        }
        await servers.source.stop()
        await servers.target.stop()
    }

    /// Seeds `count` keys in db 0 of the source, in pipelines of 1000.
    static func seed(_ source: RedisServerFixture, count: Int, valueBytes: Int = 100) async throws {
        let connection = try await source.connect()
        let value = RESPArgument(String(repeating: "v", count: valueBytes))
        for start in stride(from: 0, to: count, by: 1000) {
            try await run(
                connection,
                (start..<min(count, start + 1000)).map { RESPCommand("SET", RESPArgument("seed:\($0)"), value) })
        }
        await connection.close()
    }

    /// How the source keeps its data across the restart: an RDB written by `SHUTDOWN SAVE` carries the
    /// replication id and offset (a continue is possible), an append-only file does not (a full resync).
    enum Persistence: String, CaseIterable, CustomTestStringConvertible {
        case rdb, aof

        var arguments: [String] {
            switch self {
            case .rdb: ["--appendonly", "no"]
            case .aof: ["--appendonly", "yes", "--appendfsync", "always"]
            }
        }

        var shutdown: RESPCommand {
            switch self {
            case .rdb: RESPCommand("SHUTDOWN", "SAVE")
            case .aof: RESPCommand("SHUTDOWN")
            }
        }

        var testDescription: String { rawValue }
    }

    @Test(
        "a source restart with its data: the channel reconnects and continues if the source kept its history, else resyncs once",
        arguments: Persistence.allCases)
    func sourceRestart(_ persistence: Persistence) async throws {
        try await Self.withServers(sourceArguments: channelSourceArguments + persistence.arguments) { servers in
            try await Self.seed(servers.source, count: 5000)
            let status = ChannelStatus()
            let channel = ReplicaChannel(
                source: servers.source.endpoint, target: servers.target.endpoint, name: "src-restart")
            let writer = AcknowledgedWriter(servers.source)
            async let writes: Void = writer.run()
            let running = Task { try await channel.run(status: status, retryDelay: .milliseconds(50)) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            try await Task.sleep(for: .milliseconds(300))
            let before = status.snapshot
            let history = try await replicationState(servers.source)

            servers.source = try await Self.restart(servers.source, shutdown: persistence.shutdown)
            writer.retarget(servers.source)
            let restarted = servers.source
            let after = try await replicationState(restarted)
            do {
                try await waitUntil("the channel is back", timeout: .seconds(30)) {
                    let now = status.snapshot
                    // A source without a backlog takes a new id when the first replica asks for a full sync.
                    let current = try await replicationState(restarted).id
                    return now.phase == .streaming && now.replicationId == current
                        && (now.continues > before.continues || now.fullSyncs > before.fullSyncs)
                }
            } catch {
                Issue.record("\(error); after the \(persistence) restart the status is \(status.snapshot)")
                throw error
            }
            try await Task.sleep(for: .milliseconds(300))
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(servers.source, status)
            try await expectAllArrived(writer, source: servers.source, target: servers.target)

            let now = status.snapshot
            if after.id == history.id || after.previousID == history.id {
                // The source loaded its replication id and offset from its RDB (Redis 7 keeps the old id as
                // master_replid2 and answers +CONTINUE with a new one): the backlog allows a continue.
                #expect(now.continues == before.continues + 1)
                #expect(now.fullSyncs == before.fullSyncs, "the backlog had the data: no second full sync")
            } else {
                #expect(now.fullSyncs == before.fullSyncs + 1, "a new history needs exactly one full resync")
                #expect(now.continues == before.continues)
            }
            #expect(now.errorReplies == 0)
            let report = try await Verifier(source: servers.source.endpoint, target: servers.target.endpoint).run {
                _, _ in
            }
            #expect(report.passed, "\(report.summary)")
            running.cancel()
            _ = await running.result
        }
    }

    @Test("a target restart with appendonly: its checkpoint survives and the channel continues with +CONTINUE")
    func targetRestart() async throws {
        try await Self.withServers(targetArguments: ["--appendonly", "yes", "--appendfsync", "always"]) { servers in
            try await Self.seed(servers.source, count: 5000)
            let status = ChannelStatus()
            let channel = ReplicaChannel(
                source: servers.source.endpoint, target: servers.target.endpoint, name: "tgt-restart")
            let writer = AcknowledgedWriter(servers.source)
            async let writes: Void = writer.run()
            let running = Task { try await channel.run(status: status, retryDelay: .milliseconds(50)) }
            try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
            try await Task.sleep(for: .milliseconds(300))
            let before = status.snapshot
            #expect(before.fullSyncs == 1)

            servers.target = try await Self.restart(servers.target, shutdown: RESPCommand("SHUTDOWN"))
            try await waitUntil("the channel continues", timeout: .seconds(30)) {
                let now = status.snapshot
                return now.phase == .streaming && now.continues > before.continues
            }
            try await Task.sleep(for: .milliseconds(300))
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(servers.source, status)
            try await expectAllArrived(writer, source: servers.source, target: servers.target)

            let now = status.snapshot
            #expect(now.continues == before.continues + 1)
            #expect(now.fullSyncs == before.fullSyncs, "the checkpoint survived: no second full sync")
            #expect(now.errorReplies == 0)
            #expect(writer.failedPipelines.load(ordering: .relaxed) == 0, "the source never went away")
            running.cancel()
            _ = await running.result
        }
    }

    @Test("the channel task killed during the full sync and started again: one clean full sync, nothing lost")
    func killedDuringFullSync() async throws {
        try await Self.withServers { servers in
            try await Self.seed(servers.source, count: 200_000)
            let channel = ReplicaChannel(
                source: servers.source.endpoint, target: servers.target.endpoint, name: "killed")
            let writer = AcknowledgedWriter(servers.source)
            async let writes: Void = writer.run()
            let first = ChannelStatus()
            let running = Task { try await channel.run(status: first) }
            try await waitUntil("the full sync is under way", timeout: .seconds(30)) {
                first.snapshot.phase == .fullSync && first.snapshot.fullSyncKeys > 0
            }
            running.cancel()
            let outcome = await running.result
            guard case .failure(let error) = outcome, error is CancellationError else {
                Issue.record("the cancelled channel ended with \(outcome)")
                return
            }
            let killedAt = first.snapshot
            #expect(killedAt.phase == .fullSync, "killed mid-snapshot: \(killedAt.fullSyncKeys) keys applied")
            #expect(killedAt.fullSyncKeys < 200_000)
            // No checkpoint: a snapshot cut short is not a position to continue from.
            #expect(try await channel.appliedPosition() == nil)

            let second = ChannelStatus()
            let again = Task { try await channel.run(status: second) }
            let restarted = ContinuousClock.now
            do {
                try await waitUntil("streaming again", timeout: .seconds(120)) { second.snapshot.phase == .streaming }
            } catch {
                Issue.record("\(error) after \(ContinuousClock.now - restarted); the status is \(second.snapshot)")
                throw error
            }
            try await Task.sleep(for: .milliseconds(300))
            writer.stop.store(true, ordering: .relaxed)
            try await writes
            try await waitCaughtUp(servers.source, second)
            try await expectAllArrived(writer, source: servers.source, target: servers.target)
            let now = second.snapshot
            #expect(now.fullSyncs == 1)
            #expect(now.continues == 0)
            #expect(now.errorReplies == 0)
            #expect(now.fullSyncKeys >= 200_000)
            let report = try await Verifier(source: servers.source.endpoint, target: servers.target.endpoint).run {
                _, _ in
            }
            #expect(report.passed, "\(report.summary)")
            again.cancel()
            _ = await again.result
        }
    }

    /// Runs a channel to the end of the stream, stops it, then on the source deletes keys (and the library
    /// `gone` when `deleteLibrary`) and writes far more than the 16 KiB backlog holds; starts the channel
    /// again and returns its status once it has caught up, with a verification.
    static func stopBeyondTheBacklog(deleteLibrary: Bool) async throws -> (
        ChannelStatus.Snapshot, VerificationReport
    ) {
        var result: (ChannelStatus.Snapshot, VerificationReport)?
        try await withServers(sourceArguments: channelSourceArguments + ["--repl-backlog-size", "16kb"]) { servers in
            let seeding = try await servers.source.connect()
            for name in ["kept", "gone"] {
                _ = try await seeding.send(
                    RESPCommand(
                        "FUNCTION", "LOAD",
                        RESPArgument(
                            "#!lua name=\(name)\nredis.register_function('\(name)_f', function() return 1 end)")))
            }
            try await run(seeding, (0..<100).map { RESPCommand("SET", RESPArgument("old:\($0)"), "v") })
            let channel = ReplicaChannel(
                source: servers.source.endpoint, target: servers.target.endpoint, name: "beyond")
            let first = ChannelStatus()
            let running = Task { try await channel.run(status: first) }
            try await waitCaughtUp(servers.source, first)
            running.cancel()
            _ = await running.result

            if deleteLibrary { _ = try await seeding.send(RESPCommand("FUNCTION", "DELETE", "gone")) }
            try await run(seeding, (0..<50).map { RESPCommand("DEL", RESPArgument("old:\($0)")) })
            try await run(
                seeding,
                (0..<2000).map {
                    RESPCommand("SET", RESPArgument("new:\($0)"), RESPArgument(String(repeating: "n", count: 100)))
                })
            await seeding.close()

            let second = ChannelStatus()
            let again = Task { try await channel.run(status: second) }
            try await waitCaughtUp(servers.source, second)
            let report = try await Verifier(source: servers.source.endpoint, target: servers.target.endpoint).run {
                _, _ in
            }
            result = (second.snapshot, report)
            again.cancel()
            _ = await again.result
        }
        return try #require(result)
    }

    @Test("stopped for longer than the backlog holds: one full resync, and the keys the source deleted are gone")
    func beyondTheBacklog() async throws {
        let (status, report) = try await Self.stopBeyondTheBacklog(deleteLibrary: false)
        #expect(status.fullSyncs == 1, "the backlog no longer had the data: one full resync")
        #expect(status.continues == 0)
        #expect(report.passed, "\(report.summary)")
        #expect(report.summary == "2050 keys match in 1 db; 2 function libraries match")
    }

    @Test(
        "stopped for longer than the backlog holds: a library the source deleted meanwhile is gone after the full resync")
    func libraryDeletedBeyondTheBacklog() async throws {
        let (status, report) = try await Self.stopBeyondTheBacklog(deleteLibrary: true)
        #expect(status.fullSyncs == 1)
        #expect(report.functions?.outcome == .match, "\(report.summary)")
        #expect(report.passed, "\(report.summary)")
    }
}
