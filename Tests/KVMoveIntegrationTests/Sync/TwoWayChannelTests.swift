import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// Both directions of an active-active group against real redis-server processes: convergence, no echoes,
/// exact counters through faults, and transactions and scripts whole in both directions.
@Suite(
    "Two-way sync channel", .serialized, .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct TwoWayChannelTests {
    /// What both members need: no delay before a snapshot, and a backlog to continue from.
    static let memberArguments = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"]

    /// A running two-way channel between two servers, with its statuses.
    struct Running {
        let channel: TwoWayChannel
        let forward = ChannelStatus()
        let reverse = ChannelStatus()
        let stop = TwoWayChannel.Stop()
        let task: Task<Void, any Error>

        init(_ channel: TwoWayChannel) {
            self.channel = channel
            let (forward, reverse, stop) = (self.forward, self.reverse, self.stop)
            task = Task {
                try await channel.run(forward: forward, reverse: reverse, stop: stop, retryDelay: .milliseconds(50))
            }
        }

        /// Waits until both directions stream.
        func waitStreaming(timeout: Duration = .seconds(60)) async throws {
            do {
                try await waitUntil("both directions stream", timeout: timeout) {
                    forward.snapshot.phase == .streaming && reverse.snapshot.phase == .streaming
                }
            } catch {
                Issue.record("forward \(forward.snapshot), reverse \(reverse.snapshot)")
                throw error
            }
        }

        /// Stops both directions gracefully and waits for the run to end.
        func finish() async throws {
            stop.request()
            try await task.value
        }

        /// Ends the run abruptly, as kill -9 of the worker would: nothing is drained or checkpointed.
        func kill() async {
            task.cancel()
            _ = await task.result
        }
    }

    static func channel(
        _ source: RedisServerFixture, _ target: RedisServerFixture, name: String = "aa", relay: Bool = false
    ) -> TwoWayChannel {
        TwoWayChannel(
            source: source.endpoint, target: target.endpoint, name: name,
            options: ReplicaChannel.Options(relayHost: relay ? "127.0.0.1" : nil))
    }

    /// Waits until each direction has applied (or passed over) everything its source has written, at once.
    static func waitBothCaughtUp(
        _ source: RedisServerFixture, _ target: RedisServerFixture, _ running: Running,
        timeout: Duration = .seconds(60)
    ) async throws {
        do {
            try await waitUntil("both directions caught up", timeout: timeout) {
                let sourceOffset = try await replicationState(source).offset
                let targetOffset = try await replicationState(target).offset
                let forward = running.forward.snapshot
                let reverse = running.reverse.snapshot
                return forward.phase == .streaming && reverse.phase == .streaming
                    && (forward.appliedOffset ?? -1) >= sourceOffset && (reverse.appliedOffset ?? -1) >= targetOffset
            }
        } catch {
            let offsets = (try await replicationState(source).offset, try await replicationState(target).offset)
            let text =
                "offsets: source \(offsets.0), target \(offsets.1); forward \(running.forward.snapshot); "
                + "reverse \(running.reverse.snapshot)"
            Issue.record("\(text)")
            throw error
        }
    }

    /// Every acknowledged write of every writer is on both servers, and each writer's counter is the same on
    /// both: at least its acknowledged increments, exactly those when no pipeline broke.
    static func expectConverged(_ writers: [AcknowledgedWriter], on servers: [RedisServerFixture]) async throws {
        var counters: [String: Set<Int64>] = [:]
        for server in servers {
            let connection = try await server.connect()
            for writer in writers {
                let written = writer.acknowledged.withLock { $0 }
                #expect(written.count >= 20, "writer \(writer.prefix) had only \(written.count) writes acknowledged")
                var missing = 0
                for chunk in stride(from: 0, to: written.count, by: 1000) {
                    let slice = Array(written[chunk..<min(written.count, chunk + 1000)])
                    let replies = try await connection.pipeline(
                        slice.map { RESPCommand("GET", RESPArgument("\(writer.prefix):\($0)")) })
                    missing += zip(slice, replies).filter { $0.1.int != Int64($0.0) }.count
                }
                #expect(
                    missing == 0, "\(missing) of \(written.count) writes of \(writer.prefix) missing on \(server.port)")
                let counter = try await connection.send(RESPCommand("GET", RESPArgument(writer.counter))).int ?? 0
                counters[writer.counter, default: []].insert(counter)
                #expect(counter >= Int64(written.count), "\(writer.counter) on \(server.port): \(counter)")
                if writer.failedPipelines.load(ordering: .relaxed) == 0 {
                    #expect(counter == Int64(written.count), "\(writer.counter) on \(server.port): \(counter)")
                }
            }
            await connection.close()
        }
        for (name, values) in counters {
            #expect(values.count == 1, "\(name) differs between the members: \(values.sorted())")
        }
        // Each member holds one key of kvmove's: the checkpoint of the direction that writes into it.
        var sizes: [Int64] = []
        for server in servers {
            let connection = try await server.connect()
            sizes.append(try await connection.send(RESPCommand("DBSIZE")).int ?? -1)
            await connection.close()
        }
        #expect(Set(sizes).count == 1, "key counts differ: \(sizes)")
    }

    /// Starts each writer in a task of its own.
    static func startWriting(_ writers: [AcknowledgedWriter]) -> [Task<Void, any Error>] {
        writers.map { writer in Task { try await writer.run() } }
    }

    /// Stops the writers and waits until each has ended.
    static func stopWriting(_ writers: [AcknowledgedWriter], _ tasks: [Task<Void, any Error>]) async throws {
        for writer in writers { writer.stop.store(true, ordering: .relaxed) }
        for task in tasks { try await task.value }
    }

    /// `calls` of one command in `INFO commandstats`.
    static func calls(_ server: RedisServerFixture, _ command: String) async throws -> Int {
        let connection = try await server.connect()
        let info = try await connection.send(RESPCommand("INFO", "commandstats")).string ?? ""
        await connection.close()
        guard let line = RedisInfo.fields(info)["cmdstat_\(command)"] else { return 0 }
        let field = line.split(separator: ",").first { $0.hasPrefix("calls=") }
        return field.flatMap { Int($0.dropFirst(6)) } ?? 0
    }

    @Test(
        "writes on both members at once converge to the union; each write is applied once on the other member",
        arguments: [false, true])
    func convergence(relay: Bool) async throws {
        try await RedisServerFixture.with(arguments: Self.memberArguments) { source in
            try await RedisServerFixture.with(arguments: Self.memberArguments) { target in
                try await ReplicaChannelRestartTests.seed(source, count: 3000)
                let running = Running(Self.channel(source, target, relay: relay))
                try await running.waitStreaming()
                let incrBefore = (try await Self.calls(source, "incr"), try await Self.calls(target, "incr"))
                let onSource = AcknowledgedWriter(source, prefix: "a", counter: "counter:a")
                let onTarget = AcknowledgedWriter(target, prefix: "b", counter: "counter:b")
                let writing = Self.startWriting([onSource, onTarget])
                try await Task.sleep(for: .seconds(2))
                try await Self.stopWriting([onSource, onTarget], writing)
                try await Self.waitBothCaughtUp(source, target, running)
                try await Self.expectConverged([onSource, onTarget], on: [source, target])

                // One INCR per increment on each member: its own, and the other member's once; no echo.
                let increments =
                    onSource.acknowledged.withLock { $0.count } + onTarget.acknowledged.withLock { $0.count }
                #expect(try await Self.calls(source, "incr") - incrBefore.0 == increments)
                #expect(try await Self.calls(target, "incr") - incrBefore.1 == increments)
                // The reverse direction copied nothing of the target's dataset onto the source.
                #expect(try await Self.calls(source, "restore") == 0)
                #expect(running.forward.snapshot.echoesSkipped > 0)
                #expect(running.reverse.snapshot.echoesSkipped > 0)
                #expect(running.forward.snapshot.applicationWrites >= 2 * onSource.acknowledged.withLock { $0.count })
                #expect(running.reverse.snapshot.applicationWrites >= 2 * onTarget.acknowledged.withLock { $0.count })
                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                try await running.finish()
                // A graceful stop checkpoints both directions where they stopped.
                let forward = try await running.channel.forward.appliedPosition()
                let reverse = try await running.channel.reverse.appliedPosition()
                #expect(forward?.offset == running.forward.snapshot.appliedOffset)
                #expect(reverse?.offset == running.reverse.snapshot.appliedOffset)
            }
        }
    }

    @Test("a write on the target during streaming reaches the source, and a quiet group stays quiet")
    func targetWriteReachesSource() async throws {
        // No keep-alive PING from a primary to its replica during the quiet second measured below.
        let arguments = Self.memberArguments + ["--repl-ping-replica-period", "600"]
        try await RedisServerFixture.with(arguments: arguments) { source in
            try await RedisServerFixture.with(arguments: arguments) { target in
                let running = Running(Self.channel(source, target))
                try await running.waitStreaming()
                let onTarget = try await target.connect(clientName: "app")
                _ = try await onTarget.send(RESPCommand("SET", "from-target", "hello"))
                let onSource = try await source.connect(clientName: "app")
                try await waitUntil("the target's write is on the source", timeout: .seconds(10)) {
                    try await onSource.send(RESPCommand("GET", "from-target")).string == "hello"
                }
                _ = try await onSource.send(RESPCommand("SET", "from-source", "world"))
                try await waitUntil("the source's write is on the target", timeout: .seconds(10)) {
                    try await onTarget.send(RESPCommand("GET", "from-source")).string == "world"
                }
                try await Self.waitBothCaughtUp(source, target, running)
                // Nothing goes back and forth once both are caught up: the offsets stand still.
                let before = (try await replicationState(source).offset, try await replicationState(target).offset)
                try await Task.sleep(for: .seconds(1))
                let after = (try await replicationState(source).offset, try await replicationState(target).offset)
                #expect(after.0 == before.0, "the source's offset moved from \(before.0) to \(after.0)")
                #expect(after.1 == before.1, "the target's offset moved from \(before.1) to \(after.1)")
                #expect(try await Self.calls(source, "set") >= 1)
                await onTarget.close()
                await onSource.close()
                try await running.finish()
            }
        }
    }

    @Test("a MULTI/EXEC block and a script's effects arrive whole, in both directions")
    func transactionsAndScriptsAreAtomic() async throws {
        try await RedisServerFixture.with(arguments: Self.memberArguments) { source in
            try await RedisServerFixture.with(arguments: Self.memberArguments) { target in
                let running = Running(Self.channel(source, target))
                try await running.waitStreaming()
                let script = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return 1"
                for (origin, other, side) in [(source, target, "s"), (target, source, "t")] {
                    let writer = try await origin.connect(clientName: "app")
                    let reader = try await other.connect(clientName: "app")
                    let torn = Atomic<Int>(0)
                    let done = Atomic<Bool>(false)
                    // The other member never shows one key of a pair updated without the other.
                    let watch = Task {
                        var reads = 0
                        while !done.load(ordering: .relaxed) {
                            let pairs = try await reader.pipeline([
                                RESPCommand("MGET", RESPArgument("\(side):tx:1"), RESPArgument("\(side):tx:2")),
                                RESPCommand("MGET", RESPArgument("\(side):lua:1"), RESPArgument("\(side):lua:2")),
                            ])
                            for pair in pairs {
                                let values = pair.array?.map(\.string) ?? []
                                if values.count == 2, values[0] != values[1] { torn.add(1, ordering: .relaxed) }
                            }
                            reads += 1
                        }
                        return reads
                    }
                    for n in 1...300 {
                        let value = RESPArgument(n)
                        let replies = try await writer.pipeline([
                            RESPCommand("MULTI"),
                            RESPCommand("SET", RESPArgument("\(side):tx:1"), value),
                            RESPCommand("SET", RESPArgument("\(side):tx:2"), value),
                            RESPCommand("EXEC"),
                            RESPCommand(
                                "EVAL", RESPArgument(script), "2", RESPArgument("\(side):lua:1"),
                                RESPArgument("\(side):lua:2"), value),
                        ])
                        #expect(replies.allSatisfy { $0.serverError == nil })
                    }
                    try await waitUntil("the last pair arrived", timeout: .seconds(10)) {
                        let values = try await reader.send(
                            RESPCommand("MGET", RESPArgument("\(side):tx:2"), RESPArgument("\(side):lua:2")))
                        return values.array?.map(\.string) == ["300", "300"]
                    }
                    done.store(true, ordering: .relaxed)
                    let reads = try await watch.value
                    #expect(reads > 10)
                    #expect(torn.load(ordering: .relaxed) == 0, "a half-applied block was seen from \(side)")
                    await writer.close()
                    await reader.close()
                }
                try await Self.waitBothCaughtUp(source, target, running)
                // Each block and each script ran once on each member: 600 transactions of the apps, no echo.
                let evalOnSource = try await Self.calls(source, "eval")
                let evalOnTarget = try await Self.calls(target, "eval")
                #expect(evalOnSource == 300 && evalOnTarget == 300, "EVAL calls \(evalOnSource), \(evalOnTarget)")
                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                try await running.finish()
            }
        }
    }

    @Test("kill -9 of the worker and cut connections during two-way traffic lose and repeat nothing")
    func killAndCutConnections() async throws {
        try await RedisServerFixture.with(arguments: Self.memberArguments) { source in
            try await RedisServerFixture.with(arguments: Self.memberArguments) { target in
                try await ReplicaChannelRestartTests.seed(source, count: 2000)
                var running = Running(Self.channel(source, target))
                try await running.waitStreaming()
                let onSource = AcknowledgedWriter(source, prefix: "a", counter: "counter:a")
                let onTarget = AcknowledgedWriter(target, prefix: "b", counter: "counter:b")
                let writing = Self.startWriting([onSource, onTarget])
                for round in 0..<3 {
                    try await Task.sleep(for: .milliseconds(400))
                    await running.kill()
                    try await Task.sleep(for: .milliseconds(200))
                    running = Running(Self.channel(source, target))
                    try await running.waitStreaming()
                    #expect(running.forward.snapshot.continues == 1, "round \(round): \(running.forward.snapshot)")
                    #expect(running.reverse.snapshot.continues == 1, "round \(round): \(running.reverse.snapshot)")
                    // Cut every replica and sync connection on both members; the channel reconnects.
                    try await Task.sleep(for: .milliseconds(300))
                    for server in [source, target] {
                        let control = try await server.connect()
                        _ = try await control.send(RESPCommand("CLIENT", "KILL", "TYPE", "replica"))
                        await control.close()
                    }
                }
                try await Task.sleep(for: .milliseconds(500))
                try await Self.stopWriting([onSource, onTarget], writing)
                try await Self.waitBothCaughtUp(source, target, running)
                try await Self.expectConverged([onSource, onTarget], on: [source, target])
                #expect(running.forward.snapshot.fullSyncs == 0, "the forward direction started again from a copy")
                #expect(running.forward.snapshot.errorReplies == 0 && running.reverse.snapshot.errorReplies == 0)
                try await running.finish()
            }
        }
    }

    @Test("restarts of either member (RDB keeps their replication history) lose and repeat nothing")
    func memberRestarts() async throws {
        let arguments = Self.memberArguments + ["--appendonly", "no"]
        try await ReplicaChannelRestartTests.withServers(sourceArguments: arguments, targetArguments: arguments) {
            servers in
            let running = Running(Self.channel(servers.source, servers.target))
            try await running.waitStreaming()
            let onSource = AcknowledgedWriter(servers.source, prefix: "a", counter: "counter:a")
            let onTarget = AcknowledgedWriter(servers.target, prefix: "b", counter: "counter:b")
            let writing = Self.startWriting([onSource, onTarget])
            try await Task.sleep(for: .milliseconds(500))
            servers.source = try await ReplicaChannelRestartTests.restart(
                servers.source, shutdown: RESPCommand("SHUTDOWN", "SAVE"))
            onSource.retarget(servers.source)
            try await Task.sleep(for: .milliseconds(800))
            servers.target = try await ReplicaChannelRestartTests.restart(
                servers.target, shutdown: RESPCommand("SHUTDOWN", "SAVE"))
            onTarget.retarget(servers.target)
            try await Task.sleep(for: .milliseconds(800))
            try await Self.stopWriting([onSource, onTarget], writing)
            try await Self.waitBothCaughtUp(servers.source, servers.target, running)
            try await Self.expectConverged([onSource, onTarget], on: [servers.source, servers.target])
            let forward = running.forward.snapshot
            let reverse = running.reverse.snapshot
            #expect(forward.fullSyncs == 1, "only the first full sync: \(forward)")
            #expect(forward.continues >= 1 && reverse.continues >= 1, "forward \(forward); reverse \(reverse)")
            try await running.finish()
        }
    }

    @Test("a source that restarts with a new history stops the forward direction instead of copying over the target")
    func newHistoryIsRefused() async throws {
        let source = Self.memberArguments + ["--appendonly", "yes"]
        try await ReplicaChannelRestartTests.withServers(sourceArguments: source, targetArguments: Self.memberArguments)
        { servers in
            let running = Running(Self.channel(servers.source, servers.target))
            try await running.waitStreaming()
            let onTarget = try await servers.target.connect(clientName: "app")
            _ = try await onTarget.send(RESPCommand("SET", "only-on-target", "1"))
            let flushes = try await Self.calls(servers.target, "flushall")
            // The source goes down before the reverse direction can carry it: the target alone has it.
            servers.source = try await ReplicaChannelRestartTests.restart(
                servers.source, shutdown: RESPCommand("SHUTDOWN"))
            let result = await running.task.result
            guard case .failure(let error) = result, let refusal = error as? TwoWayError else {
                Issue.record("the run ended with \(result)")
                return
            }
            if case .forwardResyncRefused = refusal {
            } else if case .reverseHistoryLost = refusal {
            } else {
                Issue.record("unexpected \(refusal)")
            }
            #expect(!refusal.isRetryable)
            #expect(refusal.message.contains("Nothing was changed"))
            // The target kept everything it had: no FLUSHALL, no copy.
            #expect(try await Self.calls(servers.target, "flushall") == flushes)
            #expect(try await onTarget.send(RESPCommand("EXISTS", "only-on-target")).int == 1)
            await onTarget.close()
        }
    }

    @Test("keys written on both members before either saw the other's write are named; one-sided writes are not")
    func conflictsAreNamed() async throws {
        try await RedisServerFixture.with(arguments: Self.memberArguments) { source in
            try await RedisServerFixture.with(arguments: Self.memberArguments) { target in
                var running = Running(Self.channel(source, target))
                try await running.waitStreaming()
                let onSource = try await source.connect(clientName: "app")
                let onTarget = try await target.connect(clientName: "app")
                // One after the other, each seen by the other member first: no conflict.
                _ = try await onSource.send(RESPCommand("SET", "turns", "source"))
                try await Self.waitBothCaughtUp(source, target, running)
                _ = try await onTarget.send(RESPCommand("SET", "turns", "target"))
                _ = try await onTarget.send(RESPCommand("SET", "only-target", "1"))
                _ = try await onSource.send(RESPCommand("SET", "only-source", "1"))
                try await Self.waitBothCaughtUp(source, target, running)
                // With the channel away, the same keys are written on both members; each also deletes a key the
                // other member wrote before (and it had received).
                await running.kill()
                for (connection, side) in [(onSource, "source"), (onTarget, "target")] {
                    _ = try await connection.send(RESPCommand("SET", "both", RESPArgument(side)))
                    _ = try await connection.send(RESPCommand("INCR", "both-counter"))
                    _ = try await connection.send(
                        RESPCommand("DEL", RESPArgument("only-\(side == "source" ? "target" : "source")")))
                }
                running = Running(Self.channel(source, target))
                try await running.waitStreaming()
                try await Self.waitBothCaughtUp(source, target, running)
                let ledger = running.channel.ledger
                let named = Set(ledger.conflicts.keys.map { String(buffer: $0.key) })
                // Each member deleting a key the other wrote long before is no conflict: it had seen that write.
                #expect(named == ["both", "both-counter"], "\(named)")
                #expect(!ledger.conflicts.incomplete)
                // The group does not merge: "both" ends swapped; the counters add up; verification names it.
                #expect(try await onSource.send(RESPCommand("GET", "both")).string == "target")
                #expect(try await onTarget.send(RESPCommand("GET", "both")).string == "source")
                #expect(try await onSource.send(RESPCommand("GET", "both-counter")).int == 2)
                #expect(try await onTarget.send(RESPCommand("GET", "both-counter")).int == 2)
                let report = try await Verifier(
                    source: source.endpoint, target: target.endpoint,
                    options: Verifier.Options(
                        recheckRounds: 1, recheckDelay: .milliseconds(100),
                        writtenOnBothSides: { database, key in
                            ledger.isConflict(WriteLedger.Key(database: database, key: key))
                        })
                ).run { _, _ in }
                #expect(!report.passed)
                #expect(report.mismatches.map(\.key) == ["both"], "\(report.mismatches)")
                #expect(report.mismatches.first?.writtenOnBothSides == true)
                #expect(report.summary.contains("written on both members"), "\(report.summary)")
                await onSource.close()
                await onTarget.close()
                try await running.finish()
            }
        }
    }
}
