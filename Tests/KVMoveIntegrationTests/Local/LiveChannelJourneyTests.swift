import Foundation
import KVMoveCore
import KVMoveLocal
import KVMoveRESP
import KVMoveSync
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
                // The server stops (SIGTERM: it saves its RDB) and `sandbox up` starts it on the same port.
                let pid = try #require(try f.record(restarted).pid)
                let continued = try await f.world.status().groups.first?.reverse?.continues ?? 0
                _ = try await ProcessControl.terminate(pid, as: f.layout.serverIdentity(restarted), grace: .seconds(20))
                try await f.world.up(Fixture.sandboxSpec())
                #expect(try f.record(restarted).pid != pid)
                let after = try await f.connect("r-old0001", name: "app")
                for n in written..<(written + 300) {
                    _ = try await after.send(RESPCommand("SET", RESPArgument("load:\(n)"), RESPArgument("\(n)")))
                }
                written += 300
                await after.close()
                let total = written
                do {
                    try await f.eventually(
                        "every write reached the target after \(restarted) restarted", timeout: .seconds(30)
                    ) {
                        try await missing(f, on: target, count: total).isEmpty
                    }
                    // Both directions are back before the other member restarts: a member that restarts while
                    // the direction reading it is away comes back without a backlog (see docs/architecture.md).
                    try await f.eventually("the reverse direction continued after \(restarted) restarted") {
                        let reverse = try await f.world.status().groups.first?.reverse
                        return reverse?.channelPhase == "streaming" && (reverse?.continues ?? 0) > continued
                    }
                } catch {
                    let group = try await f.world.status().groups.first
                    let log = group.flatMap { try? String(contentsOf: f.layout.workerLog($0.id), encoding: .utf8) }
                    Issue.record("status \(String(describing: group)); worker log: \(log?.suffix(3000) ?? "none")")
                    throw error
                }
            }
            // Each restart keeps the server's data and replication history, so both directions continued.
            try await f.eventually("the channel streams again, having continued") {
                let group = try #require(try await f.world.status().groups.first)
                return group.channelPhase == "streaming" && (group.continues ?? 0) >= 1
            }
        }
    }

    /// One application pod: writes `pod<p>:<n>` and increments `pods:<p>` on whichever member it is pointed at.
    final class Pod: Sendable {
        let index: Int
        let acknowledged = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        /// Set to move the pod to the other member, as a rolling deploy would.
        let moveTo = Mutex<String?>(nil)

        init(_ index: Int) { self.index = index }

        func run(_ f: Fixture, startingOn member: String) async throws {
            var connection = try await f.connect(member, name: "pod-\(index)")
            var n = 0
            while !stop.load(ordering: .relaxed) {
                if let next = moveTo.withLock({ value -> String? in
                    defer { value = nil }
                    return value
                }) {
                    await connection.close()
                    connection = try await f.connect(next, name: "pod-\(index)")
                }
                let replies = try await connection.pipeline([
                    RESPCommand("SET", RESPArgument("pod\(index):\(n)"), RESPArgument("\(n)")),
                    RESPCommand("INCR", RESPArgument("pods:\(index)")),
                ])
                #expect(replies.allSatisfy { $0.serverError == nil })
                n += 1
                acknowledged.store(n, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(2))
            }
            await connection.close()
        }
    }

    @Test func aRollingDeployMovesTheWritesToTheTargetThroughAllThreeStagesAndLosesNone() async throws {
        try await Fixture.with { f in
            let target = try await synced(f, Fixture.migration(stage: .sync, idleSeconds: nil))
            try await f.eventually("both directions stream") {
                try await f.world.status().groups.first?.reverse?.channelPhase == "streaming"
            }
            // A write on the target reaches the source while the group is in sync.
            let onTarget = try await f.connect(target, name: "app")
            _ = try await onTarget.send(RESPCommand("SET", "written-on-target", "1"))
            await onTarget.close()
            let onSource = try await f.connect("r-old0001", name: "app")
            try await f.eventually("the target's write is on the source") {
                try await onSource.send(RESPCommand("GET", "written-on-target")).string == "1"
            }
            await onSource.close()

            // Four pods write on the source; half-way through they move to the target, two at a time.
            let pods = (0..<4).map(Pod.init)
            let running = pods.map { pod in Task { try await pod.run(f, startingOn: "r-old0001") } }
            try await Task.sleep(for: .milliseconds(800))
            for pod in pods.prefix(2) { pod.moveTo.withLock { $0 = target } }
            try await Task.sleep(for: .milliseconds(800))
            for pod in pods.suffix(2) { pod.moveTo.withLock { $0 = target } }
            try await Task.sleep(for: .milliseconds(500))

            // Both directions show in the status while the pods write.
            let (code, output) = try await f.runKvmove(["sandbox", "status", "--sandbox", f.layout.root.path])
            #expect(code == 0, "\(output)")
            #expect(output.contains("r-old0001 -> \(target)") && output.contains("\(target) -> r-old0001"), "\(output)")

            // The pods pause: once both directions have caught up, the members verify clean.
            for pod in pods { pod.stop.store(true, ordering: .relaxed) }
            for task in running { try await task.value }
            try await f.eventually("both directions caught up", timeout: .seconds(30)) {
                let group = try #require(try await f.world.status().groups.first)
                return group.lagBytes == 0 && group.reverse?.lagBytes == 0
            }
            let report = try await Verifier(
                source: try f.world.sandbox.endpoint(try f.record("r-old0001")),
                target: try f.world.sandbox.endpoint(try f.record(target))
            ).run { _, _ in }
            #expect(report.passed, "\(report.summary)")
            // The pods wrote disjoint keys, on one member at a time: no key was written on both.
            #expect(try await f.world.status().groups.first?.conflictCount == nil)
            // A second wave of pods writes on the target through the cutover.
            let wave = (4..<8).map(Pod.init)
            let waveRunning = wave.map { pod in Task { try await pod.run(f, startingOn: target) } }
            try await f.eventually("the second wave writes") {
                wave.allSatisfy { $0.acknowledged.load(ordering: .relaxed) > 20 }
            }

            // Cutover: the source has taken no application write for 2 s (every pod is on the target now).
            var cutover = Fixture.migration(stage: .cutover, idleSeconds: nil)
            cutover.cutover.requireNoSourceWritesSeconds = 2
            cutover.cutover.maxLagSeconds = 1
            let plan = try await f.plan([cutover])
            #expect(plan.steps.map(\.kind) == [.checkCutoverGates, .disconnectSync])
            let disconnect = try #require(plan.steps.last)
            #expect(disconnect.risks.contains { $0.contains("move back") }, "\(disconnect.risks)")
            let (outcomes, events) = await f.apply(plan)
            #expect(outcomes["orders"] == .succeeded(steps: 2), "\(events.map(\.text))")
            let summaries = events.compactMap { event -> String? in
                if case .stepFinished(_, _, let summary) = event { summary } else { nil }
            }
            #expect(summaries.contains { $0.hasPrefix("no application write on the source for 2s") }, "\(summaries)")
            #expect(summaries.contains { $0.contains("and target offset") }, "\(summaries)")

            for pod in wave { pod.stop.store(true, ordering: .relaxed) }
            for task in waveRunning { try await task.value }

            // Every acknowledged write is on the target exactly once: each pod's counter equals its writes.
            let connection = try await f.connect(target)
            for pod in pods + wave {
                let count = pod.acknowledged.load(ordering: .relaxed)
                #expect(count > 50, "pod \(pod.index) wrote only \(count)")
                let counter = try await connection.send(RESPCommand("GET", RESPArgument("pods:\(pod.index)"))).int
                #expect(
                    counter == Int64(count), "pod \(pod.index): counter \(String(describing: counter)), writes \(count)"
                )
                for start in stride(from: 0, to: count, by: 1000) {
                    let end = min(count, start + 1000)
                    let reply = try await connection.send(
                        RESPCommand("MGET", arguments: (start..<end).map { RESPArgument("pod\(pod.index):\($0)") }))
                    let lost = (reply.array ?? []).enumerated().filter { $0.element.string != "\(start + $0.offset)" }
                    #expect(lost.isEmpty, "pod \(pod.index): \(lost.count) writes lost from \(start)")
                }
            }
            await connection.close()
            // No kvmove key is left on either member once sync is disconnected.
            for id in ["r-old0001", target] {
                let member = try await f.connect(id)
                let left = try await member.send(RESPCommand("KEYS", "__kvmove:*")).array ?? []
                #expect(left.isEmpty, "\(id) still holds \(left)")
                await member.close()
            }

            // Complete: the source is released.
            let complete = try await f.plan([Fixture.migration(stage: .complete, idleSeconds: nil)])
            let (done, completeEvents) = await f.apply(complete)
            #expect(done["orders"]?.isSuccess == true, "\(completeEvents.map(\.text))")
            #expect(try f.state().instance("r-old0001")?.isLive != true)
        }
    }
}
