import Foundation
import KVMoveCore
import KVMoveLocal
import KVMoveRESP
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The sandbox's live channel through kvmove's own steps: writes under load, a killed worker, the lag gate.
///
/// A writer records every write the source acknowledged; afterwards each must be on the target.
@Suite(
    "Live channel in the sandbox", .serialized,
    .enabled(if: LocalSandboxFixture.enabled, LocalSandboxFixture.skipReason))
struct LiveChannelJourneyTests {
    typealias Fixture = LocalSandboxFixture

    /// Writes `SET load:<n> <n>` on the source until stopped; `acknowledged` is the count the source confirmed.
    final class SteadyWriter: Sendable {
        let acknowledged = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)

        func run(_ connection: RESPConnection, pause: Duration = .milliseconds(1)) async throws {
            var n = 0
            while !stop.load(ordering: .relaxed) {
                _ = try await connection.send(RESPCommand("SET", RESPArgument("load:\(n)"), RESPArgument("\(n)")))
                n += 1
                acknowledged.store(n, ordering: .relaxed)
                try await Task.sleep(for: pause)
            }
        }
    }

    /// The sync stage applied: the channel streams from r-old0001 into the returned target.
    func synced(_ f: Fixture, _ spec: MigrationSpec) async throws -> String {
        try await f.world.up(Fixture.sandboxSpec())
        let (outcomes, events) = await f.apply(try await f.plan([spec]))
        #expect(outcomes["orders"]?.isSuccess == true, "\(events.map(\.text))")
        // The sandbox's servers are local, so the worker relays the snapshot for the target to load itself.
        try await f.eventually("the worker reports how the full sync went") {
            try await f.world.status().groups.first?.message?.hasSuffix("(full sync: relay)") == true
        }
        return try #require(try await f.observe(spec).target?.id)
    }

    /// How many of `load:0 ..< count` are missing on `id`.
    func missing(_ f: Fixture, on id: String, count: Int) async throws -> [Int] {
        let connection = try await f.connect(id)
        defer { Task { await connection.close() } }
        var missing: [Int] = []
        var start = 0
        while start < count {
            let end = min(count, start + 1000)
            let reply = try await connection.send(
                RESPCommand("MGET", arguments: (start..<end).map { RESPArgument("load:\($0)") }))
            for (offset, value) in (reply.array ?? []).enumerated() where value.string != "\(start + offset)" {
                missing.append(start + offset)
            }
            start = end
        }
        return missing
    }

    @Test func thePlanSaysWhatTheChannelCarries() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let plan = try await f.plan([Fixture.migration(stage: .sync, idleSeconds: nil)])
            let create = try #require(plan.steps.first { $0.kind == .createTarget })
            #expect(
                create.risks.contains { $0.contains("a source that refuses PSYNC is copied once") }, "\(create.risks)")
        }
    }

    @Test func aDrainedDisconnectUnderSteadyWritesLosesNothing() async throws {
        try await Fixture.with { f in
            let sync = Fixture.migration(stage: .sync, idleSeconds: nil)
            let target = try await synced(f, sync)
            let writer = SteadyWriter()
            let connection = try await f.connect("r-old0001", name: "app")
            let load = Task { try await writer.run(connection) }
            try await f.eventually("the load is running") { writer.acknowledged.load(ordering: .relaxed) > 200 }

            // Cutover with the lag gate and no idle gate: the writes go on while sync is disconnected.
            var cutover = Fixture.migration(stage: .cutover, idleSeconds: nil)
            cutover.cutover.maxLagSeconds = 1
            let plan = try await f.plan([cutover])
            #expect(plan.steps.map(\.kind) == [.checkCutoverGates, .disconnectSync])
            let beforeDisconnect = Mutex<Int?>(nil)
            let (outcomes, events) = await f.apply(plan) { event in
                if case .stepStarted(let step) = event, step.kind == .disconnectSync {
                    beforeDisconnect.withLock { $0 = writer.acknowledged.load(ordering: .relaxed) }
                }
            }
            writer.stop.store(true, ordering: .relaxed)
            try await load.value
            await connection.close()
            #expect(outcomes["orders"] == .succeeded(steps: 2), "\(events.map(\.text))")
            let summaries = events.compactMap { event -> String? in
                if case .stepFinished(_, _, let summary) = event { summary } else { nil }
            }
            #expect(summaries.contains { $0.hasPrefix("channel lag under 1s: 3 samples in a row") }, "\(summaries)")
            #expect(summaries.contains { $0.contains("drained to source offset") }, "\(summaries)")
            let acknowledged = try #require(beforeDisconnect.withLock { $0 })
            #expect(acknowledged > 200)
            #expect(try await missing(f, on: target, count: acknowledged) == [])
        }
    }

    @Test func aKilledWorkerIsRestartedAndContinuesWithoutASecondFullSync() async throws {
        try await Fixture.with { f in
            let sync = Fixture.migration(stage: .sync, idleSeconds: nil)
            let target = try await synced(f, sync)
            let writer = SteadyWriter()
            let connection = try await f.connect("r-old0001", name: "app")
            let load = Task { try await writer.run(connection) }
            try await f.eventually("the load is running") { writer.acknowledged.load(ordering: .relaxed) > 200 }

            let firstPid = try #require(try f.state().groups.first?.channel?.pid)
            kill(firstPid, SIGKILL)
            try await f.eventually("the worker is gone") { !ProcessControl.isAlive(firstPid) }
            try await Task.sleep(for: .milliseconds(300))
            // `sandbox up` restarts a worker whose channel should be live.
            try await f.world.up(Fixture.sandboxSpec())
            let secondPid = try #require(try f.state().groups.first?.channel?.pid)
            #expect(secondPid != firstPid && ProcessControl.isAlive(secondPid))
            try await f.eventually("the new worker continued from the target's checkpoint") {
                let group = try #require(try await f.world.status().groups.first)
                return group.continues == 1 && group.channelPhase == "streaming"
            }
            writer.stop.store(true, ordering: .relaxed)
            try await load.value
            await connection.close()
            let written = writer.acknowledged.load(ordering: .relaxed)
            try await f.eventually("every write reached the target", timeout: .seconds(30)) {
                try await missing(f, on: target, count: written).isEmpty
            }
            let group = try #require(try await f.world.status().groups.first)
            #expect(group.fullSyncs == 0, "a continue, not a second full sync")

            // The rendered status shows the channel, its offset and lag.
            let (code, output) = try await f.runKvmove(["sandbox", "status", "--sandbox", f.layout.root.path])
            #expect(code == 0, "\(output)")
            #expect(output.contains("streaming @"), "\(output)")
        }
    }
    @Test func aRestartedSourceOrTargetLosesNoWrite() async throws {
        try await Fixture.with { f in
            let target = try await synced(f, Fixture.migration(stage: .sync, idleSeconds: nil))
            var written = 0
            for restarted in ["r-old0001", target] {
                // Writes before the restart, acknowledged by the source.
                let before = try await f.connect("r-old0001", name: "app")
                for n in written..<(written + 300) {
                    _ = try await before.send(RESPCommand("SET", RESPArgument("load:\(n)"), RESPArgument("\(n)")))
                }
                written += 300
                await before.close()
                // The server stops (SIGTERM: its AOF is flushed) and `sandbox up` starts it on the same port.
                let pid = try #require(try f.record(restarted).pid)
                _ = try await ProcessControl.terminate(pid, grace: .seconds(20))
                try await f.world.up(Fixture.sandboxSpec())
                #expect(try f.record(restarted).pid != pid)
                let after = try await f.connect("r-old0001", name: "app")
                for n in written..<(written + 300) {
                    _ = try await after.send(RESPCommand("SET", RESPArgument("load:\(n)"), RESPArgument("\(n)")))
                }
                written += 300
                await after.close()
                let total = written
                try await f.eventually(
                    "every write reached the target after \(restarted) restarted", timeout: .seconds(30)
                ) {
                    try await missing(f, on: target, count: total).isEmpty
                }
            }
            // The target's restart keeps its checkpoint (AOF), so the channel continued rather than syncing again.
            try await f.eventually("the channel streams again, having continued") {
                let group = try #require(try await f.world.status().groups.first)
                return group.channelPhase == "streaming" && (group.continues ?? 0) >= 1
            }
        }
    }
}
