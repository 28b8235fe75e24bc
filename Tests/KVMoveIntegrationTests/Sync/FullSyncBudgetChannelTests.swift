import Foundation
import KVMoveRESP
import KVMoveSync
import Testing

/// A channel whose full sync fails the same way every time stops after its budget instead of copying again forever.
@Suite(.enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct FullSyncBudgetChannelTests {
    @Test("a source that drops the replica during every full sync: three full syncs, then the channel stops")
    func repeatedFullSyncFailureStops() async throws {
        try await RedisServerFixture.with(arguments: ReplicaChannelTests.sourceArguments) { source in
            try await RedisServerFixture.with { target in
                let seeding = try await source.connect()
                for batch in 0..<40 {
                    _ = try await seeding.pipeline(
                        (0..<2500).map { RESPCommand("SET", RESPArgument("k:\(batch):\($0)"), RESPArgument("v\($0)")) })
                }
                let status = ChannelStatus()
                var options = ReplicaChannel.Options(batchCommands: 50)
                options.fullSyncBudget = 3
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "budget", options: options)
                let running = Task { try await channel.run(status: status, retryDelay: .milliseconds(20)) }
                // Whenever the channel is copying, the source drops its replica link (as an output-buffer limit would).
                let killer = Task {
                    while !Task.isCancelled {
                        if status.snapshot.phase == .fullSync {
                            _ = try? await seeding.send(RESPCommand("CLIENT", "KILL", "TYPE", "replica"))
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                let outcome = await Task { () -> (any Error)? in
                    do {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { try await running.value }
                            group.addTask {
                                try await Task.sleep(for: .seconds(60))
                                running.cancel()
                            }
                            try await group.next()
                            group.cancelAll()
                        }
                        return nil
                    } catch {
                        return error
                    }
                }.value
                killer.cancel()
                await seeding.close()
                let stopped = try #require(outcome as? FullSyncBudgetExhausted, "\(String(describing: outcome))")
                #expect(stopped.attempts == 3)
                #expect(status.snapshot.phase == .failed)
                #expect(status.snapshot.fullSyncs == 3, "\(status.snapshot)")
                #expect(status.snapshot.lastError?.contains("3 full syncs in a row ended in the same failure") == true)
            }
        }
    }
}
