import Foundation
import KVMoveCore
import KVMoveLocal
import KVMoveRESP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kill -9` of `kvmove apply` and of the channel worker while the channel is copying, then a re-run.
@Suite(
    "kill -9 during the copy", .serialized,
    .enabled(if: LocalSandboxFixture.enabled, LocalSandboxFixture.skipReason))
struct KillDuringCopyTests {
    typealias Fixture = LocalSandboxFixture

    /// The standard sandbox plus a source big enough that its copy takes a while.
    static func sandboxSpec() -> SandboxSpec {
        var spec = Fixture.sandboxSpec()
        spec.instances.append(
            SandboxInstanceSpec(
                id: "r-big0003", name: "big-old", region: "cn-hangzhou", zone: "cn-hangzhou-g", vpcId: "vpc-a",
                vSwitchId: "vsw-a", minorVersion: LocalSandbox.latestMinorVersion,
                seed: SeedSpec(keys: 150_000, types: [.string, .hash], valueBytes: 100, ttlPercent: 10, randomSeed: 3)))
        return spec
    }

    @Test func aKilledApplyDuringTheCopyResumesWithOneTargetAndVerifiesClean() async throws {
        try await Fixture.with { f in
            try await f.world.up(Self.sandboxSpec())
            let spec = try f.writeMigration("big", source: "r-big0003", stage: .sync)
            let common = ["--sandbox", f.layout.root.path, "--state-dir", f.stateDirectory.path]

            let (running, output) = try f.startKvmove(["apply", "-f", spec, "--auto-approve"] + common)
            try await f.eventually("the channel is copying", timeout: .seconds(60)) {
                try f.state().groups.contains { group in
                    guard let channel = group.channel else { return false }
                    return channel.phase == .initializing && channel.progress > 0 && channel.progress < 1
                }
            }
            kill(running.processIdentifier, SIGKILL)
            await running.exited()
            #expect(running.terminationReason == .uncaughtSignal)
            // The channel worker dies too, in the middle of its full sync, with writes arriving on the source.
            let worker = try #require(try f.state().groups.first { $0.tags[Tags.migration] == "big" }?.channel?.pid)
            let writer = try await f.connect("r-big0003", name: "app")
            for n in 0..<250 {
                _ = try await writer.send(RESPCommand("SET", RESPArgument("during-sync:\(n)"), RESPArgument("\(n)")))
            }
            kill(worker, SIGKILL)
            for n in 250..<500 {
                _ = try await writer.send(RESPCommand("SET", RESPArgument("during-sync:\(n)"), RESPArgument("\(n)")))
            }
            await writer.close()
            try await f.eventually("the worker is gone") { !ProcessControl.isAlive(worker) }
            let printed = try String(contentsOf: output, encoding: .utf8)
            #expect(printed.contains("Waiting for full sync"), "\(printed)")
            #expect(!printed.contains("Apply complete!"))

            // A killed apply leaves its lock, which names a holder that is gone.
            var (code, text) = try await f.runKvmove(["apply", "-f", spec, "--auto-approve"] + common)
            #expect(code == 1)
            #expect(text.contains("lock is stale"), "\(text)")
            (code, text) = try await f.runKvmove(["unlock", "big", "--state-dir", f.stateDirectory.path])
            #expect(code == 0, "\(text)")

            (code, text) = try await f.runKvmove(["apply", "-f", spec, "--auto-approve"] + common)
            #expect(code == 0, "\(text)")
            #expect(!text.contains("Creating..."), "the re-run must not create anything again")
            // Every key, and every write made during the interrupted full sync, is on the target.
            #expect(text.contains("150500 keys match"), "\(text)")
            let state = try f.state()
            #expect(state.instances.count { $0.tags[Tags.migration] == "big" } == 1)
            #expect(state.groups.count { $0.tags[Tags.migration] == "big" } == 1)
            #expect(state.verifications["big"]?.passed == true)
            (code, text) = try await f.runKvmove(["plan", "-f", spec, "--detailed-exitcode"] + common)
            #expect(code == 0, "\(text)")
        }
    }
}
