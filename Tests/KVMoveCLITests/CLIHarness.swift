import Foundation
import KVMoveCLI
import KVMoveCore
import KVMoveTestSupport
import Synchronization
import Testing

/// Runs kvmove commands against a fake world in a scratch directory and captures what they print.
///
/// ``run(_:stdin:)`` runs the command tree in this process (``KVMoveCommand/run(_:in:)``) with
/// ``FakeProvider`` over the scratch directory's `world.json`, or with the built-in providers when
/// there is no world. Pass absolute paths (``path(_:)``): an in-process run shares this process's
/// working directory. What needs a real process (signals, kill -9, a terminal) starts the test host
/// (``start(_:stdin:)``, ``runOnTerminal(_:input:environment:)``), which serves the same world file;
/// ``runShipped(_:)`` runs the shipped binary, which has no fake at all.
struct CLIHarness {
    /// What one run printed and how it exited.
    struct Result {
        var out: String
        var err: String
        var code: Int32
        var all: String { out + err }
    }

    let directory: URL
    /// The environment of every run; no inherited colour, state or fake-world settings.
    var environment: [String: String]
    /// True when the scratch directory has a world file that in-process runs and the test host serve.
    let hasWorld: Bool
    /// Makes the providers of in-process runs instead of the default (the fake world, else the built-in ones).
    var makeProvider: CLIContext.ProviderFactory?

    /// A scratch directory with a fake world file (`world.json`); with no world, the built-in providers.
    init(world: FakeWorld? = .standard()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        for name in ["KVMOVE_STATE_DIR", "KVMOVE_FAKE_WORLD", CLIHarness.worldVariable] {
            env.removeValue(forKey: name)
        }
        env["NO_COLOR"] = "1"
        environment = env
        hasWorld = world != nil
        if let world { try FakeWorldStore.write(world, to: directory.appendingPathComponent("world.json")) }
    }

    /// The test host's environment variable naming its world file.
    static let worldVariable = "KVMOVE_TEST_HOST_WORLD"

    var worldFile: URL { directory.appendingPathComponent("world.json") }

    func world() throws -> FakeWorld { try FakeWorldStore.read(worldFile) }

    func setWorld(_ world: FakeWorld) throws { try FakeWorldStore.write(world, to: worldFile) }

    /// The absolute path of `name` in the scratch directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the scratch directory.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    // MARK: In-process

    /// Runs kvmove in this process to completion; `stdin` is what standard input holds (not a terminal).
    func run(_ arguments: String..., stdin: String? = nil) async throws -> Result {
        try await run(arguments, stdin: stdin)
    }

    func run(_ arguments: [String], stdin: String? = nil) async throws -> Result {
        let makeProvider = try makeProvider ?? defaultProviders()
        let out = Captured()
        let err = Captured()
        let input = Lines(stdin ?? "")
        let context = CLIContext(
            makeProvider: makeProvider,
            standardOutput: { out.append($0) },
            standardError: { err.append($0) },
            environment: environment,
            stdinIsTerminal: false,
            stdoutIsTerminal: false,
            stderrIsTerminal: false,
            readLine: { input.next() },
            trapsSignals: false
        )
        let code = await KVMoveCommand.run(arguments, in: context)
        return Result(out: out.text, err: err.text, code: code)
    }

    /// The providers of one in-process run: the fake over the world file (one store per run), else the built-in ones.
    private func defaultProviders() throws -> CLIContext.ProviderFactory {
        guard hasWorld else { return ProviderRegistry.builtIn }
        let store = try FakeWorldStore(file: worldFile)
        return { name, _ in FakeProvider(name: name, store: store) }
    }

    // MARK: Processes

    /// A built executable beside the test bundle.
    static func built(_ name: String) -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent(name),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// The shipped `kvmove` binary.
    static var shippedBinary: URL { built("kvmove") }

    /// The test host: kvmove's commands with the fake cloud of `KVMOVE_TEST_HOST_WORLD`.
    static var testHost: URL { built("KVMoveCLITestHost") }

    /// The environment of a test host process: ours, plus the world file.
    var hostEnvironment: [String: String] {
        environment.merging([CLIHarness.worldVariable: worldFile.path]) { $1 }
    }

    /// Starts the test host in the scratch directory; the returned process is running.
    func start(_ arguments: [String], stdin: String? = nil) throws -> RunningCLI {
        try RunningCLI(
            executable: CLIHarness.testHost, arguments: arguments, directory: directory,
            environment: hostEnvironment, stdin: stdin)
    }

    /// Runs the shipped binary in the scratch directory, to completion, with `extra` environment.
    func runShipped(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Result {
        try await RunningCLI(
            executable: CLIHarness.shippedBinary, arguments: arguments, directory: directory,
            environment: environment.merging(extra) { $1 }, stdin: nil
        ).wait()
    }

    /// Runs the test host on a pseudo-terminal (util-linux `script`), typing `input` at it.
    func runOnTerminal(_ arguments: [String], input: String, environment extra: [String: String] = [:])
        async throws -> Result
    {
        var env = hostEnvironment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm-256color"
        env.merge(extra) { $1 }
        let command = ([CLIHarness.testHost.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try await RunningCLI(
            executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qec", command, "/dev/null"],
            directory: directory, environment: env, stdin: input
        ).wait()
    }
}

/// Text written to an in-process run's stream.
final class Captured: Sendable {
    private let buffer = Mutex("")

    func append(_ text: String) { buffer.withLock { $0 += text } }

    var text: String { buffer.withLock { $0 } }
}

/// The lines of an in-process run's standard input, read one at a time.
final class Lines: Sendable {
    private let remaining: Mutex<[String]>

    init(_ text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.isEmpty || text.hasSuffix("\n") { lines.removeLast() }
        remaining = Mutex(lines)
    }

    /// The next line without its newline; `nil` at the end of input.
    func next() -> String? {
        remaining.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// A running process whose output is collected as it arrives.
final class RunningCLI: @unchecked Sendable {
    /// Bytes a pipe delivered so far, and whether it reached its end.
    final class Buffer: Sendable {
        let data = Mutex(Data())
        let ended = Mutex(false)
    }

    private let process: Process
    private let out = Buffer()
    private let err = Buffer()

    init(executable: URL, arguments: [String], directory: URL, environment: [String: String], stdin: String?) throws {
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        // Close-on-exec, so processes other tests start meanwhile do not inherit these pipes and keep them
        // open (the child gets its own copies as its standard streams).
        for pipe in [outPipe, errPipe, inPipe] {
            for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        try process.run()
        // One thread per pipe reads until the end: a blocking read that returns what arrived, empty at the end.
        for (pipe, buffer) in [(outPipe, out), (errPipe, err)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                while case let data = handle.availableData, !data.isEmpty {
                    buffer.data.withLock { $0.append(data) }
                }
                buffer.ended.withLock { $0 = true }
            }
        }
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
    }

    var stdout: String { out.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var stderr: String { err.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var pid: Int32 { process.processIdentifier }

    /// Waits until `condition` holds, checking every 20 ms for at most `seconds`; returns whether it held.
    ///
    /// It suspends between checks instead of blocking a thread, so in-process runs of other tests go on.
    static func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            let late = ContinuousClock.now >= deadline  // the last check begins after the deadline
            if condition() { return true }
            if late { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until stdout contains `text` (or the process ends, or `seconds` pass).
    func waitForOutput(_ text: String, seconds: Double = 60) async -> Bool {
        _ = await RunningCLI.waitUntil(seconds: seconds) { stdout.contains(text) || !process.isRunning }
        return stdout.contains(text)
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit and for both pipes to deliver their last bytes.
    func wait() async -> CLIHarness.Result {
        _ = await RunningCLI.waitUntil(seconds: 600) { !process.isRunning }
        process.waitUntilExit()
        let drained = await RunningCLI.waitUntil(seconds: 10) {
            out.ended.withLock { $0 } && err.ended.withLock { $0 }
        }
        #expect(drained, "the output pipes of \(process.executableURL?.lastPathComponent ?? "?") did not close")
        return CLIHarness.Result(out: stdout, err: stderr, code: process.terminationStatus)
    }
}

/// A spec matching ``FakeWorld/standard(sourceSyncCapable:keys:)``.
func migrationYAML(name: String = "orders-cache", stage: String = "sync", extra: String = "") -> String {
    """
    apiVersion: kvmove/v1
    kind: Migration
    metadata:
      name: \(name)
    spec:
      provider: local
      source:
        region: cn-hangzhou
        instanceId: r-bp1zxszhcgatnx0001
      target:
        region: cn-hangzhou
        zone: cn-hangzhou-h
        vpcId: vpc-bp1app0001
        vSwitchId: vsw-bp1app0001
        instanceName: \(name)
        billing: { type: PostPaid }
      activeActive:
        name: \(name)-aa
      cutover:
        requireIdleSource: { for: 30s }
      stage: \(stage)
    \(extra)
    """
}
