import Foundation
import KVMoveRESP
import KVMoveSync
import Synchronization
import Testing

/// The data plane against a server frozen with SIGSTOP: verification fails within the configured command
/// timeout, and a replication stream that goes silent is dropped and continued with PSYNC, nothing lost or
/// applied twice.
@Suite(
    "Stalled servers", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct StalledServerTests {
    @Test("verification of a source that stalls mid-way fails within the command timeout, naming the source")
    func verificationFails() async throws {
        try await withSourceAndTarget { source, target in
            // Both members hold the same keys, so verification goes on reading the source (a target that differs
            // in most keys would stop it early, before the stall).
            for server in [source, target] {
                let connection = try await server.connect()
                for start in stride(from: 0, to: 50_000, by: 1000) {
                    try await run(
                        connection, (start..<(start + 1000)).map { RESPCommand("SET", RESPArgument("k:\($0)"), "v") })
                }
                await connection.close()
            }
            var sourceEndpoint = source.endpoint
            sourceEndpoint.commandTimeout = .seconds(1)
            var targetEndpoint = target.endpoint
            targetEndpoint.commandTimeout = .seconds(1)
            let plane = DataPlane(source: sourceEndpoint, target: targetEndpoint)
            let started = Mutex<ContinuousClock.Instant?>(nil)
            let verifying = Task {
                try await plane.verify { done, _ in
                    // Freeze the source once the comparison is under way.
                    if done > 0, started.withLock({ $0 == nil }) {
                        started.withLock { $0 = .now }
                        source.pause()
                    }
                }
            }
            let result = await verifying.result
            source.resume()
            let stalledAt = started.withLock { $0 }
            guard let stalledAt else {
                Issue.record("verification ended before any progress: \(result)")
                return
            }
            let elapsed = ContinuousClock.now - stalledAt
            switch result {
            case .success(let report):
                Issue.record("verification of a stalled source passed: \(report.summary)")
            case .failure(let error):
                guard case .commandTimedOut(let address, _, let after) = error as? RESPError else {
                    Issue.record("expected a command timeout, got \(error)")
                    return
                }
                #expect(address == "127.0.0.1:\(source.port)" && after == .seconds(1))
                #expect((error as? any DataPlaneFailure)?.code == "CommandTimeout")
                #expect((error as? any DataPlaneFailure)?.isRetryable == true)
            }
            #expect(elapsed < .seconds(5), "verification took \(elapsed) to fail after the source stalled")
        }
    }

    @Test(
        "a primary that goes silent while streaming is dropped after the idle timeout; once resumed, PSYNC continues exactly once"
    )
    func silentPrimary() async throws {
        let sourceArguments = channelSourceArguments + ["--repl-ping-replica-period", "1"]
        try await RedisServerFixture.with(arguments: sourceArguments) { source in
            try await RedisServerFixture.with { target in
                var sourceEndpoint = source.endpoint
                sourceEndpoint.replicationTimeout = .seconds(2)
                let status = ChannelStatus()
                let channel = ReplicaChannel(source: sourceEndpoint, target: target.endpoint, name: "stalled")
                let writer = AcknowledgedWriter(source)
                let writes = Task { try await writer.run() }
                let running = Task { try await channel.run(status: status, retryDelay: .milliseconds(50)) }
                defer {
                    source.resume()
                    writer.stop.store(true, ordering: .relaxed)
                    running.cancel()
                }
                try await waitUntil("streaming", timeout: .seconds(30)) { status.snapshot.phase == .streaming }
                // Idle but healthy: the primary's pings keep the link up for longer than the idle timeout.
                try await Task.sleep(for: .seconds(3))
                let before = status.snapshot
                #expect(before.phase == .streaming && before.fullSyncs == 1 && before.continues == 0)

                let stalled = ContinuousClock.now
                try await source.whilePaused {
                    try await waitUntil("the silent stream is dropped", timeout: .seconds(6)) {
                        status.snapshot.phase == .reconnecting
                    }
                    let dropped = ContinuousClock.now - stalled
                    #expect(dropped >= .milliseconds(1900) && dropped < .seconds(5), "dropped after \(dropped)")
                    #expect(
                        status.snapshot.lastError?.contains("sent nothing on the replication stream for 2s") == true,
                        "\(status.snapshot.lastError ?? "no error")")
                    try await Task.sleep(for: .seconds(1))
                }
                try await waitUntil("the channel continues", timeout: .seconds(30)) {
                    status.snapshot.phase == .streaming && status.snapshot.continues > before.continues
                }
                try await Task.sleep(for: .milliseconds(500))
                writer.stop.store(true, ordering: .relaxed)
                try await writes.value
                try await waitCaughtUp(source, status)
                try await expectAllArrived(writer, source: source, target: target)
                let now = status.snapshot
                #expect(now.fullSyncs == before.fullSyncs, "a continue, not a second full sync")
                #expect(now.continues == before.continues + 1)
                #expect(now.errorReplies == 0)
                running.cancel()
                _ = await running.result
            }
        }
    }
}
