import Foundation
import KVMoveLocal
import Testing

/// The sandbox signals only processes it started: a recorded pid that now belongs to another process is left
/// alone (a reused pid gets neither SIGTERM nor SIGKILL).
@Suite(.serialized, .enabled(if: LocalSandboxFixture.enabled, LocalSandboxFixture.skipReason))
struct ProcessIdentityTests {
    /// A process that is not kvmove's: `sleep`, in a directory of its own.
    static func stranger() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["120"]
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("an identity matches the process it names and no other; terminate leaves a stranger running")
    func identityIsCheckedBeforeEverySignal() async throws {
        let stranger = try Self.stranger()
        defer { if stranger.isRunning { stranger.terminate() } }
        let pid = stranger.processIdentifier
        let server = ProcessIdentity(program: "redis-server", workingDirectory: "/nonexistent/data")
        let sleeper = ProcessIdentity(program: "sleep", arguments: ["120"])
        // Until the child has called exec, /proc shows the parent's command line.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        while !ProcessControl.isAlive(pid, as: sleeper), clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(ProcessControl.isAlive(pid))
        #expect(!ProcessControl.isAlive(pid, as: server))
        #expect(ProcessControl.isAlive(pid, as: sleeper))
        // Told to stop "the redis-server with this pid": the pid is someone else's now, so nothing is sent.
        #expect(try await ProcessControl.terminate(pid, as: server, grace: .milliseconds(200)))
        try await Task.sleep(for: .milliseconds(300))
        #expect(stranger.isRunning, "a process that is not the recorded one got a signal")
        // The right identity is signalled (SIGTERM, then SIGKILL: the test runner's children may ignore SIGTERM).
        _ = try await ProcessControl.terminate(pid, as: sleeper, grace: .seconds(1))
        stranger.waitUntilExit()
        #expect(stranger.terminationReason == .uncaughtSignal)
    }

    @Test("a sandbox whose recorded pids were reused leaves those processes alone on down and up")
    func reusedPidsInTheSandboxAreLeftAlone() async throws {
        try await LocalSandboxFixture.with { f in
            try await f.world.up(LocalSandboxFixture.sandboxSpec())
            let id = "r-new0002"
            let record = try f.record(id)
            let realServer = try #require(record.pid)
            #expect(ProcessControl.isAlive(realServer, as: f.layout.serverIdentity(id)))
            #expect(!ProcessControl.isAlive(realServer, as: f.layout.serverIdentity("r-old0001")))
            // The server is stopped behind kvmove's back, and its pid now names a stranger.
            _ = try await ProcessControl.terminate(realServer, as: f.layout.serverIdentity(id), grace: .seconds(20))
            let stranger = try Self.stranger()
            defer { if stranger.isRunning { stranger.terminate() } }
            try await f.world.sandbox.store.change { state in
                state.update(instance: id) { $0.pid = stranger.processIdentifier }
            }
            // Status sees a stopped instance, up starts a new server, down stops only kvmove's processes.
            #expect(await f.world.sandbox.status(of: try f.record(id)) == "Stopped")
            try await f.world.up(LocalSandboxFixture.sandboxSpec())
            let restarted = try #require(try f.record(id).pid)
            #expect(restarted != stranger.processIdentifier)
            try await f.world.sandbox.store.change { state in
                state.update(instance: id) { $0.pid = stranger.processIdentifier }
            }
            try await f.world.down(purge: false)
            #expect(stranger.isRunning, "down signalled a process the sandbox did not start")
            // The server kvmove did start was stopped through its pid file.
            #expect(!ProcessControl.isAlive(restarted, as: f.layout.serverIdentity(id)))
        }
    }
}
