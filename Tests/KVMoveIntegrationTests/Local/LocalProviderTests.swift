import Foundation
import KVMoveCore
import KVMoveLocal
import KVMoveRESP
import KVMoveSecret
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The local provider and sandbox against real redis-server processes, step by step.
@Suite(
    "Local sandbox with real redis-server", .serialized,
    .enabled(if: LocalSandboxFixture.enabled, LocalSandboxFixture.skipReason))
struct LocalProviderTests {
    typealias Fixture = LocalSandboxFixture

    @Test func upCreatesSeedsEveryTypeAndIsIdempotent() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let first = try f.state()
            #expect(first.vpcs.map(\.id) == ["vpc-a", "vpc-b"])
            #expect(first.vSwitches.map(\.id) == ["vsw-a", "vsw-b"])
            #expect(first.instances.allSatisfy { $0.lifecycle == .normal && $0.seeded })
            #expect(try await f.keysPerDatabase("r-old0001") == [0: 1000, 1: 1000])

            let seeder = Seeder(seed: Fixture.seed)
            var ttls = 0
            for db in 0..<2 {
                let connection = try await f.connect("r-old0001", database: db)
                for index in stride(from: db, to: 2000, by: 2) {
                    let type = try await connection.send(RESPCommand("TYPE", RESPArgument(seeder.keyName(index))))
                    #expect(type.string == seeder.type(of: index).rawValue, "key \(index)")
                    let ttl = try await connection.send(RESPCommand("PTTL", RESPArgument(seeder.keyName(index))))
                    if (ttl.int ?? -1) > 0 { ttls += 1 }
                }
                await connection.close()
            }
            #expect(Set((0..<6).map { seeder.type(of: $0) }).count == 6)
            #expect((200...600).contains(ttls), "about 20% of 2000 keys have a TTL, got \(ttls)")

            // A second up changes nothing and does not seed again.
            let marker = try await f.connect("r-old0001")
            _ = try await marker.send(RESPCommand("SET", "marker", "kept"))
            await marker.close()
            try await f.world.up(Fixture.sandboxSpec())
            let second = try f.state()
            #expect(second == first)
            let check = try await f.connect("r-old0001")
            #expect(try await check.send(RESPCommand("GET", "marker")).string == "kept")
            await check.close()

            // After down, up starts the stopped servers again with their data.
            try await f.world.down(purge: false)
            #expect(try f.state().instances.allSatisfy { !ProcessControl.isAlive($0.pid) })
            #expect(try await f.world.status().instances.allSatisfy { $0.status == "Stopped" })
            try await f.world.up(Fixture.sandboxSpec())
            #expect(try await f.keysPerDatabase("r-old0001") == [0: 1001, 1: 1000])
            let status = try await f.world.status()
            #expect(status.instances.map(\.status) == ["Normal", "Normal"])
            #expect(status.instances.first?.keys == ["db0": 1001, "db1": 1000])
        }
    }

    @Test func aFullJourneyThroughSyncCutoverAndComplete() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let passwords = try ["r-old0001", "r-new0002"].map { try f.world.sandbox.password($0) }
            let sourcePid = try f.record("r-old0001").pid

            // Stage sync: upgrade (restart, data kept), group, target, full sync, verify.
            let observed = try await f.observe(Fixture.migration(stage: .sync))
            #expect(observed.source?.status == "Normal")
            #expect(observed.source?.syncCapable == false)
            #expect(observed.targetVPC?.id == "vpc-b")
            #expect(observed.targetVSwitch?.zone == "cn-hangzhou-h")
            let syncPlan = try await f.plan([Fixture.migration(stage: .sync)])
            #expect(
                syncPlan.steps.map(\.kind) == [
                    .upgradeSourceMinorVersion, .createGroup, .createTarget, .waitFullSync, .verifyData,
                ])
            var (outcomes, events) = await f.apply(syncPlan)
            #expect(outcomes["orders"] == .succeeded(steps: 5), "\(events.map(\.text))")
            let source = try f.record("r-old0001")
            #expect(source.minorVersion == LocalSandbox.latestMinorVersion)
            #expect(source.pid != sourcePid, "the upgrade restarts the process")
            // The upgrade keeps the data; db 0 also holds the reverse direction's checkpoint, kvmove's one key there.
            #expect(try await f.keysPerDatabase("r-old0001") == [0: 1001, 1: 1000], "the upgrade keeps the data")
            let seen = try await f.observe(Fixture.migration(stage: .sync))
            let target = try #require(seen.target)
            #expect(target.tags[Tags.migration] == "orders")
            #expect(target.status == "Normal")
            #expect(seen.group?.members == ["r-old0001", target.id])
            #expect(seen.sync?.phase == .synchronized)
            #expect(seen.verification?.passed == true)
            // The target also holds the channel's checkpoint key in db 0 (verification skips it).
            #expect(try await f.keysPerDatabase(target.id) == [0: 1001, 1: 1000])
            let checkpointKey = "__kvmove:sync:\(try #require(seen.group?.id))"
            let targetConnection = try await f.connect(target.id)
            #expect(try await targetConnection.send(RESPCommand("EXISTS", RESPArgument(checkpointKey))).int == 1)
            let reports = try FileManager.default.contentsOfDirectory(
                atPath: f.stateDirectory.appendingPathComponent("reports").path)
            #expect(reports.count == 1 && reports[0].hasPrefix("orders-verify-"))
            #expect(try await f.plan([Fixture.migration(stage: .sync)]).hasChanges == false)
            let group = try #require(try f.state().groups.first)
            let workerPid = try #require(group.channel?.pid)
            #expect(ProcessControl.isAlive(workerPid), "the worker keeps streaming after the full sync")

            // Writes made after the full sync arrive: the channel is live, in both dbs.
            let writer = try await f.connect("r-old0001", name: "app-writer")
            for i in 0..<200 {
                _ = try await writer.send(RESPCommand("SET", RESPArgument("live:\(i)"), RESPArgument("v\(i)")))
            }
            _ = try await writer.send(RESPCommand("SELECT", 1))
            _ = try await writer.send(RESPCommand("INCRBY", "live:counter", 7))
            try await f.eventually("the live writes reach the target") {
                let a = try await targetConnection.send(RESPCommand("GET", "live:199")).string
                _ = try await targetConnection.send(RESPCommand("SELECT", 1))
                let b = try await targetConnection.send(RESPCommand("GET", "live:counter")).string
                _ = try await targetConnection.send(RESPCommand("SELECT", 0))
                return a == "v199" && b == "7"
            }
            // The last writes before the cutover: the drained disconnect carries them, however late.
            _ = try await writer.send(RESPCommand("SELECT", 0))
            for i in 0..<300 {
                _ = try await writer.send(RESPCommand("SET", RESPArgument("late:\(i)"), RESPArgument("w\(i)")))
            }
            await writer.close()
            let status = try await f.world.status()
            let streaming = try #require(status.groups.first)
            #expect(streaming.channelPhase == "streaming")

            // Stage cutover: a real client holds the gate, then leaves.
            let client = try await f.connect("r-old0001", name: "app")
            _ = try await client.send(RESPCommand("GET", "x"))
            // The client leaves once the gate has reported it: no fixed wait.
            let (reported, seenBy) = AsyncStream.makeStream(of: Void.self)
            let leave = Task {
                for await _ in reported { break }
                await client.close()
            }
            let cutover = try await f.plan([Fixture.migration(stage: .cutover)])
            #expect(cutover.steps.map(\.kind) == [.checkCutoverGates, .disconnectSync])
            (outcomes, events) = await f.apply(cutover) { event in
                if case .progress(_, let progress, _) = event, progress.message.contains("name=app") {
                    seenBy.yield()
                }
            }
            seenBy.finish()
            await leave.value
            #expect(outcomes["orders"] == .succeeded(steps: 2), "\(events.map(\.text))")
            let gateMessages = events.compactMap { event -> String? in
                if case .progress(_, let progress, _) = event { progress.message } else { nil }
            }
            // The gate saw the client, and passed only after a full idle second that began once it left.
            let held = try #require(
                gateMessages.firstIndex { $0.contains("1 client connected") && $0.contains("name=app") })
            #expect(gateMessages[(held + 1)...].contains { $0.contains("idle for") })
            #expect(!ProcessControl.isAlive(workerPid), "disconnect stops the worker")
            #expect(try f.record(target.id).groupId == nil)
            // Every write the source acknowledged is on the target; the checkpoint key is gone with the channel.
            #expect(
                try await f.keysPerDatabase(target.id) == [0: 1500, 1: 1001],
                "the target keeps its data and every write made before the disconnect")
            #expect(try await targetConnection.send(RESPCommand("EXISTS", RESPArgument(checkpointKey))).int == 0)
            for i in [0, 150, 299] {
                #expect(
                    try await targetConnection.send(RESPCommand("GET", RESPArgument("late:\(i)"))).string == "w\(i)")
            }
            await targetConnection.close()

            // Stage complete: the source and the group are released.
            let complete = try await f.plan([Fixture.migration(stage: .complete)])
            #expect(complete.steps.map(\.kind) == [.releaseSource, .releaseGroup])
            (outcomes, events) = await f.apply(complete)
            #expect(outcomes["orders"] == .succeeded(steps: 2), "\(events.map(\.text))")
            let released = try f.record("r-old0001")
            #expect(released.lifecycle == .released)
            #expect(!ProcessControl.isAlive(sourcePid) && !ProcessControl.isAlive(source.pid))
            #expect(!FileManager.default.fileExists(atPath: f.layout.dataDirectory("r-old0001").path))
            #expect(try f.state().groups.isEmpty)
            #expect(try await f.plan([Fixture.migration(stage: .complete)]).hasChanges == false)
            #expect(try await f.observe(Fixture.migration(stage: .complete)).source == nil)

            // No password in any file kvmove wrote, nor in any event.
            for (path, data) in try f.filesWrittenByKvmove() {
                for password in passwords {
                    #expect(data.range(of: Data(password.utf8)) == nil, "password found in \(path)")
                }
            }
            for password in passwords {
                #expect(!events.map(\.text).joined().contains(password))
            }
        }
    }

    @Test func dryRunLeavesTheSandboxByteForByteUnchanged() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let before = try f.snapshot()
            let plan = try await f.plan([Fixture.migration(stage: .complete)])
            #expect(plan.steps.count == 9)
            let (outcomes, events) = await f.apply(plan, dryRun: true)
            #expect(outcomes["orders"] == .succeeded(steps: 9))
            let requests = events.compactMap { event -> ProviderRequest? in
                if case .wouldSend(_, let request) = event { request } else { nil }
            }
            let create = try #require(requests.first { $0.action == "CreateInstance" })
            #expect(create.description.contains("Password=(sensitive value)"))
            #expect(!String(describing: events).contains(try #require(create.secret("Password")).reveal()))
            // Dry-run shows the data plane's work too, under its own service name.
            #expect(requests.contains { $0.service == "redis" && $0.action == "Verify" })
            let after = try f.snapshot()
            #expect(after.keys.sorted() == before.keys.sorted())
            for (path, data) in before where after[path] != data {
                Issue.record("dry-run changed \(path)")
            }
            #expect(try f.state().groups.isEmpty)
        }
    }

    @Test func applyActsOnTheSandboxThePlanRecorded() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let plan = try await f.plan([Fixture.migration(stage: .sync)])
            #expect(plan.migrations[0].settings[LocalProvider.sandboxSetting] == f.layout.root.path)
            // A provider that would now resolve the spec to another directory (the spec moved, another
            // KVMOVE_SANDBOX): apply still works where plan looked, because the plan says where.
            let (outcomes, events) = await f.apply(plan, using: try f.providerResolvingElsewhere())
            #expect(outcomes["orders"]?.isSuccess == true, "\(events.map(\.text))")
            #expect(try f.state().instances.contains { $0.tags[Tags.migration] == "orders" })
            let elsewhere = f.directory.appendingPathComponent("not-this-sandbox")
            #expect(!FileManager.default.fileExists(atPath: elsewhere.path))
        }
    }

    @Test func theConnectionTimeoutsTravelThroughThePlanToTheChannel() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            var spec = Fixture.migration(stage: .sync)
            spec.connection = ConnectionSpec(commandTimeoutSeconds: 7, replicationTimeoutSeconds: 45)
            let plan = try await f.plan([spec])
            let settings = plan.migrations[0].settings
            #expect(settings["connectionCommandTimeout"] == "7s")
            #expect(settings["connectionReplicationTimeout"] == "45s")
            let (outcomes, events) = await f.apply(plan)
            #expect(outcomes["orders"]?.isSuccess == true, "\(events.map(\.text))")
            let channel = try #require(try f.state().groups.first?.channel)
            #expect(channel.commandTimeoutSeconds == 7 && channel.replicationTimeoutSeconds == 45)
            // A spec without them leaves the defaults: nothing in the plan.
            let plain = try await f.observe(Fixture.migration(stage: .sync))
            #expect(plain.settings["connectionCommandTimeout"] == nil)
            #expect(plain.settings["connectionReplicationTimeout"] == nil)
        }
    }

    @Test func aVerificationMismatchStopsOnlyThatMigration() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let specs = [
                Fixture.migration("orders", source: "r-old0001", stage: .sync),
                Fixture.migration("users", source: "r-new0002", stage: .sync),
            ]
            // Everything up to the full sync first, so a write can land before verification.
            var plan = try await f.plan(specs)
            for index in plan.migrations.indices {
                plan.migrations[index].steps.removeAll { $0.kind == .verifyData }
            }
            var (outcomes, events) = await f.apply(plan)
            #expect(outcomes.values.allSatisfy { $0.isSuccess }, "\(events.map(\.text))")
            // A conflict the group does not merge: with the channel's worker gone, the same key is written on
            // both members; once it runs again, each member applies the other's write after its own.
            let ordersTarget = try #require(try await f.observe(specs[0]).target)
            let worker = try #require(try f.state().groups.first { $0.members.contains(ordersTarget.id) }?.channel?.pid)
            kill(worker, SIGKILL)
            try await f.eventually("the worker is gone") { !ProcessControl.isAlive(worker) }
            for (id, value) in [("r-old0001", "from-source"), (ordersTarget.id, "from-target")] {
                let write = try await f.connect(id, name: "app")
                _ = try await write.send(RESPCommand("SET", "written-on-both", RESPArgument(value)))
                await write.close()
            }
            try await f.world.up(Fixture.sandboxSpec())

            plan = try await f.plan(specs)
            #expect(plan.steps.map(\.kind) == [.verifyData, .verifyData])
            (outcomes, events) = await f.apply(plan)
            guard case .failed(let step, let message) = outcomes["orders"] else {
                Issue.record("orders should fail verification: \(String(describing: outcomes["orders"]))")
                return
            }
            #expect(step == "orders/verify-data")
            #expect(message.hasPrefix("(redis VerificationFailed) verification failed: "))
            #expect(message.contains("; report: \(f.stateDirectory.path)/reports/orders-verify-"))
            #expect(outcomes["users"] == .succeeded(steps: 1))
            let report = try #require(message.components(separatedBy: "; report: ").last)
            let text = try String(contentsOfFile: report, encoding: .utf8)
            #expect(text.contains("written-on-both"))
            // The channel saw the key written on both members, and the report says so.
            #expect(message.contains("1 of them was written on both members"), "\(message)")
            let observed = try await f.observe(specs[0])
            #expect(observed.verification?.passed == false)
            #expect(try await f.observe(specs[1]).verification?.passed == true)
            #expect(try await f.plan(specs).steps.map(\.id) == ["orders/verify-data"])
        }
    }

    @Test func theWorkerOutlivesKvmoveAndUpRestartsIt() async throws {
        try await Fixture.with { f in
            try await f.world.up(Fixture.sandboxSpec())
            let password = try f.world.sandbox.password("r-new0002")
            let spec = try f.writeMigration("users", source: "r-new0002", stage: .sync)
            let common = ["--sandbox", f.layout.root.path, "--state-dir", f.stateDirectory.path]

            // kill -9 of apply while it works, then a re-run: one target, verified clean.
            let (running, _) = try f.startKvmove(["apply", "-f", spec, "--auto-approve"] + common)
            try await f.eventually("the target exists") {
                try f.state().instances.contains { $0.tags[Tags.migration] == "users" }
            }
            kill(running.processIdentifier, SIGKILL)
            await running.exited()
            // The killed apply left its migration lock, as any killed apply does.
            var (code, output) = try await f.runKvmove(["unlock", "users", "--state-dir", f.stateDirectory.path])
            #expect(code == 0, "\(output)")
            (code, output) = try await f.runKvmove(["apply", "-f", spec, "--auto-approve"] + common)
            #expect(code == 0, "\(output)")
            #expect(try f.state().instances.count { $0.tags[Tags.migration] == "users" } == 1)
            #expect(try f.state().verifications["users"]?.passed == true)
            #expect(!output.contains(password))

            // The worker runs on after kvmove exited.
            let group = try #require(try f.state().groups.first)
            let worker = try #require(group.channel?.pid)
            #expect(ProcessControl.isAlive(worker))
            #expect(group.channel?.phase == .synchronized)

            // A worker that died before its full sync finished is restarted by sandbox up.
            kill(worker, SIGKILL)
            try await f.eventually("the worker is gone") { !ProcessControl.isAlive(worker) }
            try await f.world.sandbox.store.change { state in
                state.update(group: group.id) {
                    $0.channel?.phase = .initializing
                    $0.channel?.progress = 0.3
                }
            }
            let seen = Mutex<[SandboxEvent]>([])
            try await f.world.up(Fixture.sandboxSpec()) { event in seen.withLock { $0.append(event) } }
            #expect(seen.withLock { $0 }.contains(.workerRestarted(groupId: group.id)))
            try await f.eventually("the restarted worker finished the full sync") {
                try f.state().group(group.id)?.channel?.phase == .synchronized
            }
            let again = try #require(try f.state().group(group.id)?.channel?.pid)
            #expect(again != worker && ProcessControl.isAlive(again))

            // The CLI shows status without a password, and credentials only when asked.
            (code, output) = try await f.runKvmove(["sandbox", "status", "--sandbox", f.layout.root.path])
            #expect(code == 0 && output.contains("synchronized") && !output.contains(password), "\(output)")
            (code, output) = try await f.runKvmove([
                "sandbox", "credentials", "users-old", "--sandbox", f.layout.root.path,
            ])
            let port = try f.record("r-new0002").port
            #expect(output == "redis://default:\(password)@127.0.0.1:\(port)\n")
            // The URL works as the README shows it: redis-cli -u "$(kvmove sandbox credentials …)".
            let cli = URL(fileURLWithPath: "/usr/bin/redis-cli")
            if FileManager.default.isExecutableFile(atPath: cli.path) {
                let process = Process()
                process.executableURL = cli
                process.arguments = ["-u", output.trimmingCharacters(in: .whitespacesAndNewlines), "PING"]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = FileHandle.nullDevice
                try process.run()
                await process.exited()
                let reply = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(reply == "PONG\n", "redis-cli with the credentials URL answered \(reply)")
            }
            for (path, data) in try f.filesWrittenByKvmove() where !path.hasSuffix(".out") {
                #expect(data.range(of: Data(password.utf8)) == nil, "password found in \(path)")
            }
        }
    }
}
