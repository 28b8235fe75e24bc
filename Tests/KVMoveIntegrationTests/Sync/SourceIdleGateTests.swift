import KVMoveRESP
import KVMoveSync
import Synchronization
import Testing

/// The time of the latest sample a gate reported.
private final class SampleTime: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var value: ContinuousClock.Instant {
        get { instant.withLock { $0 } }
        set { instant.withLock { $0 = newValue } }
    }
}

@Suite(
    "Idle gate against redis-server", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct SourceIdleGateTests {
    /// A gate running in a task, with its progress as a stream; cancelled after `deadline` at the latest.
    struct RunningGate {
        let task: Task<IdleGateResult, any Error>
        let progress: AsyncStream<IdleGateProgress>
        private let watchdog: Task<Void, any Error>
        private let sampledAt: SampleTime

        /// When the gate reported its latest sample (progress is reported right after each sample).
        var lastSample: ContinuousClock.Instant { sampledAt.value }

        init(_ server: RedisServerFixture, required: Duration, poll: Duration, deadline: Duration = .seconds(15)) {
            let (stream, continuation) = AsyncStream<IdleGateProgress>.makeStream()
            let gate = SourceIdleGate(endpoint: server.endpoint)
            let times = SampleTime()
            let task = Task {
                defer { continuation.finish() }
                return try await gate.wait(for: required, pollInterval: poll) { progress in
                    times.value = ContinuousClock.now
                    continuation.yield(progress)
                }
            }
            self.task = task
            self.progress = stream
            self.sampledAt = times
            watchdog = Task {
                try await Task.sleep(for: deadline)
                task.cancel()
            }
        }

        /// The next progress value that satisfies `condition`, with every value seen on the way.
        func next(
            where condition: (IdleGateProgress) -> Bool,
            seen: inout [IdleGateProgress],
            iterator: inout AsyncStream<IdleGateProgress>.Iterator
        ) async -> IdleGateProgress? {
            while let value = await iterator.next() {
                seen.append(value)
                if condition(value) { return value }
            }
            return nil
        }

        func stopWatchdog() { watchdog.cancel() }
    }

    @Test("passes on an idle server although kvmove-named connections write to it")
    func passesDespiteKVMoveWrites() async throws {
        try await RedisServerFixture.with { server in
            let channel = try await server.connect(clientName: "kvmove-sync")
            let writer = Task { try await Self.writeUntilCancelled(channel, key: "written-by-kvmove") }
            let started = ContinuousClock.now
            let gate = RunningGate(server, required: .milliseconds(800), poll: .milliseconds(100))
            var seen: [IdleGateProgress] = []
            var late: RESPConnection?
            var lateWriter: Task<Int, any Error>?
            for await value in gate.progress {
                seen.append(value)
                if late == nil {  // a kvmove connection that opens during the wait, stays and writes
                    let connection = try await server.connect(clientName: "kvmove-copy")
                    late = connection
                    // One write before the loop starts, so the wait sees a kvmove write however late the loop runs.
                    _ = try await connection.send(RESPCommand("INCR", "copied"))
                    lateWriter = Task { try await 1 + Self.writeUntilCancelled(connection, key: "copied") }
                }
            }
            let result = try await gate.task.value
            gate.stopWatchdog()
            writer.cancel()
            lateWriter?.cancel()
            let writes = try await writer.value
            let lateWrites = try await lateWriter?.value ?? 0
            await channel.close()
            await late?.close()

            #expect(result.idleSeconds >= 0.8)
            #expect(result.summary == "source idle for 1s: no application connected")
            // It ends well before the watchdog (15 s); the bound is generous for a loaded 2-core machine.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(writes > 0 && lateWrites > 0, "kvmove wrote during the wait")
            // On a loaded machine the late kvmove connection can be sampled before it has sent its first
            // command (unnamed, cmd=NULL, over a second old); the gate then waits longer rather than pass
            // early. That conservative case is allowed; any other busy sample is a failure.
            #expect(
                seen.allSatisfy { $0.isIdle || $0.message.hasSuffix(" name= cmd=NULL") }, "\(seen.map(\.message))")
            #expect(seen.first?.message == "source idle for 0s of 1s")
            #expect(seen.last?.fraction == 1)
        }
    }

    /// Writes to `key` on `connection` until the task is cancelled; returns the number of writes.
    private static func writeUntilCancelled(_ connection: RESPConnection, key: String) async throws -> Int {
        var count = 0
        while true {
            do {
                _ = try await connection.send(RESPCommand("INCR", RESPArgument(key)))
                count += 1
                try await Task.sleep(for: .milliseconds(5))
            } catch is CancellationError {
                return count  // cancelling a call ends it with CancellationError
            }
        }
    }

    @Test("an unnamed client resets the idle timer until it leaves")
    func unnamedClientResets() async throws {
        try await RedisServerFixture.with { server in
            // 5 s of idle to pass: the application must connect before that even when the suite's other tests
            // keep the cooperative pool busy (with 1 s the gate sometimes passed before it connected).
            let gate = RunningGate(server, required: .seconds(5), poll: .milliseconds(100), deadline: .seconds(30))
            var iterator = gate.progress.makeAsyncIterator()
            var seen: [IdleGateProgress] = []
            _ = try #require(
                await gate.next(where: { $0.isIdle && $0.idleSeconds >= 0.2 }, seen: &seen, iterator: &iterator))

            let app = try await server.connect()
            _ = try await app.send(RESPCommand("PING"))
            let busy = try #require(await gate.next(where: { !$0.isIdle }, seen: &seen, iterator: &iterator))
            #expect(busy.message.hasPrefix("1 client connected: 127.0.0.1:"), "\(busy.message)")
            // The sample may land before or after the PING is processed; the client is unnamed either way.
            #expect(busy.otherClients.count == 1 && busy.otherClients[0].contains(" name= cmd="))
            #expect(busy.idleSeconds == 0 && busy.fraction == nil)
            await app.close()

            let idleAgain = try #require(await gate.next(where: \.isIdle, seen: &seen, iterator: &iterator))
            #expect(idleAgain.idleSeconds == 0, "idle time counts again from the first idle sample")
            while await iterator.next() != nil {}
            let result = try await gate.task.value
            gate.stopWatchdog()
            #expect(result.idleSeconds >= 1)
        }
    }

    @Test("a client that connects, writes and leaves between two samples is noticed")
    func connectionBetweenSamples() async throws {
        try await RedisServerFixture.with { server in
            // A wide window between samples, so the client fits in it even on a loaded machine.
            let poll = Duration.seconds(3)
            let gate = RunningGate(server, required: .seconds(120), poll: poll, deadline: .seconds(60))
            var iterator = gate.progress.makeAsyncIterator()
            var seen: [IdleGateProgress] = []
            var noticed: IdleGateProgress?
            // On a loaded machine the next sample may catch the client still connected: then try again.
            for _ in 0..<5 where noticed == nil {
                _ = try #require(await gate.next(where: \.isIdle, seen: &seen, iterator: &iterator))
                let sampled = gate.lastSample
                let app = try await server.connect(clientName: "orders-api")
                _ = try await app.send(RESPCommand("SET", "order:1", "paid"))
                await app.close()
                let left = ContinuousClock.now
                let next = try #require(await gate.next(where: { !$0.isIdle }, seen: &seen, iterator: &iterator))
                if left - sampled < poll - .milliseconds(200) { noticed = next }
            }
            let change = try #require(noticed, "the client never fit between two samples")
            #expect(change.message == "an application connected and left since the last check")
            #expect(change.otherClients.isEmpty)
            let idleAgain = try #require(await gate.next(where: \.isIdle, seen: &seen, iterator: &iterator))
            #expect(idleAgain.idleSeconds == 0)
            gate.task.cancel()
            gate.stopWatchdog()
            await #expect(throws: CancellationError.self) { try await gate.task.value }
        }
    }

    @Test("a cancelled wait ends promptly")
    func cancellation() async throws {
        try await RedisServerFixture.with { server in
            let app = try await server.connect(clientName: "orders-api")
            let gate = RunningGate(server, required: .seconds(60), poll: .milliseconds(300))
            var iterator = gate.progress.makeAsyncIterator()
            var seen: [IdleGateProgress] = []
            let busy = try #require(await gate.next(where: { !$0.isIdle }, seen: &seen, iterator: &iterator))
            #expect(busy.message.contains("name=orders-api"))
            let cancelled = ContinuousClock.now
            gate.task.cancel()
            await #expect(throws: CancellationError.self) { try await gate.task.value }
            // The gate would wait 60 s for an application that never leaves: seconds mean it was cancelled.
            #expect(ContinuousClock.now - cancelled < .seconds(5))
            gate.stopWatchdog()
            await app.close()
        }
    }
}
