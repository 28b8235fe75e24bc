import Foundation
import KVMoveTestSupport
import Synchronization
import Testing

/// Runs the built `kvmove` binary in a scratch directory and captures what it prints.
struct CLIHarness {
    /// What one run printed and how it exited.
    struct Result {
        var out: String
        var err: String
        var code: Int32
        var all: String { out + err }
    }

    let directory: URL
    var environment: [String: String]

    /// A scratch directory with a fake world file (`world.json`) and no inherited colour settings.
    init(world: FakeWorld? = .standard()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "KVMOVE_STATE_DIR")
        env.removeValue(forKey: "KVMOVE_FAKE_WORLD")
        env["NO_COLOR"] = "1"
        if let world {
            let file = directory.appendingPathComponent("world.json")
            try FakeWorldStore.write(world, to: file)
            env["KVMOVE_FAKE_WORLD"] = file.path
        }
        environment = env
    }

    var worldFile: URL { directory.appendingPathComponent("world.json") }

    func world() throws -> FakeWorld { try FakeWorldStore.read(worldFile) }

    func setWorld(_ world: FakeWorld) throws { try FakeWorldStore.write(world, to: worldFile) }

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

    static var binary: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("kvmove"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kvmove"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Starts kvmove; the returned process is running.
    func start(_ arguments: [String], stdin: String? = nil) throws -> RunningCLI {
        try RunningCLI(arguments: arguments, directory: directory, environment: environment, stdin: stdin)
    }

    /// Runs kvmove to completion.
    func run(_ arguments: String..., stdin: String? = nil) throws -> Result {
        try run(arguments, stdin: stdin)
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try start(arguments, stdin: stdin).wait()
    }

    /// Runs kvmove on a pseudo-terminal (util-linux `script`), typing `input` at it.
    func runOnTerminal(_ arguments: [String], input: String, environment extra: [String: String] = [:]) throws
        -> Result
    {
        var env = environment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm-256color"
        env.merge(extra) { $1 }
        let command = ([CLIHarness.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try RunningCLI(
            executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qec", command, "/dev/null"],
            directory: directory, environment: env, stdin: input
        ).wait()
    }
}

/// A running kvmove process whose output is collected as it arrives.
final class RunningCLI: @unchecked Sendable {
    /// Bytes a pipe delivered so far.
    final class Buffer: Sendable {
        let data = Mutex(Data())
    }

    private let process: Process
    private let out = Buffer()
    private let err = Buffer()

    init(
        executable: URL = CLIHarness.binary, arguments: [String], directory: URL, environment: [String: String],
        stdin: String?
    ) throws {
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
        outPipe.fileHandleForReading.readabilityHandler = { [out] handle in
            let data = handle.availableData
            out.data.withLock { $0.append(data) }
        }
        errPipe.fileHandleForReading.readabilityHandler = { [err] handle in
            let data = handle.availableData
            err.data.withLock { $0.append(data) }
        }
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
    }

    var stdout: String { out.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var stderr: String { err.data.withLock { String(decoding: $0, as: UTF8.self) } }
    var pid: Int32 { process.processIdentifier }

    /// Waits until stdout contains `text` (or the process ends, or `seconds` pass).
    func waitForOutput(_ text: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stdout.contains(text) { return true }
            if !process.isRunning { return stdout.contains(text) }
            usleep(20_000)
        }
        return false
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func wait() -> CLIHarness.Result {
        process.waitUntilExit()
        // Let the readability handlers drain what is left in the pipes.
        usleep(100_000)
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
