import Foundation
import KVMoveCore
import KVMoveLocal
import KVMoveRESP
import KVMoveSecret
import Synchronization
import Testing

/// A throwaway sandbox of real redis-server processes, torn down (down --purge) even on failure.
///
/// Tests using it run when redis-server is installed; when it is not, they are skipped with a
/// reason, except under CI=true, where they run and fail.
struct LocalSandboxFixture {
    static let redisServer: String? = try? RedisServer.locate().executable
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    /// True when the tests should run: redis-server is there, or CI demands it.
    static let enabled = redisServer != nil || isCI
    static let skipReason: Comment = "redis-server is not installed (with CI=true this is a failure)"

    /// The built kvmove binary: it runs the channel workers.
    static var kvmoveBinary: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("kvmove"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kvmove"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    let directory: URL
    let layout: SandboxLayout
    let stateDirectory: URL
    let world: SandboxWorld
    let provider: LocalProvider

    init() throws {
        let redis = try #require(
            Self.redisServer, "redis-server is not installed, and CI=true makes that a failure: install it")
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.kvmoveBinary.path),
            "the kvmove binary is needed to run channel workers; build it first")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-local-\(UUID().uuidString)")
        layout = SandboxLayout(root: directory.appendingPathComponent("sandbox"))
        stateDirectory = directory.appendingPathComponent("state")
        let worker = WorkerLauncher(executable: Self.kvmoveBinary.path)
        world = SandboxWorld(layout: layout, worker: worker, redisServer: redis)
        var provider = LocalProvider(layout: layout, worker: worker, redisServer: redis)
        provider.pollInterval = .milliseconds(200)
        self.provider = provider
    }

    /// Runs `body` with a new fixture and always tears it down.
    static func with(_ body: (LocalSandboxFixture) async throws -> Void) async throws {
        let fixture = try LocalSandboxFixture()
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    func tearDown() async {
        try? await world.down(purge: true)
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Specs

    static let seed = SeedSpec(
        keys: 2000, databases: 2, valueBytes: 64, elementsPerKey: 5, ttlPercent: 20, randomSeed: 7)

    /// Two VPCs in two zones, and sources in vpc-a: `r-old0001` (old minor version, 2,000 keys
    /// over 2 databases) and `r-new0002` (current minor version, 600 keys).
    static func sandboxSpec() -> SandboxSpec {
        SandboxSpec(
            name: "test",
            regions: [SandboxRegion(id: "cn-hangzhou", zones: ["cn-hangzhou-g", "cn-hangzhou-h"])],
            vpcs: [
                SandboxVPC(
                    id: "vpc-a", region: "cn-hangzhou", vSwitches: [SandboxVSwitch(id: "vsw-a", zone: "cn-hangzhou-g")]),
                SandboxVPC(
                    id: "vpc-b", region: "cn-hangzhou", vSwitches: [SandboxVSwitch(id: "vsw-b", zone: "cn-hangzhou-h")]),
            ],
            instances: [
                SandboxInstanceSpec(
                    id: "r-old0001", name: "orders-old", region: "cn-hangzhou", zone: "cn-hangzhou-g", vpcId: "vpc-a",
                    vSwitchId: "vsw-a", minorVersion: "7.0.1.3", seed: seed),
                SandboxInstanceSpec(
                    id: "r-new0002", name: "users-old", region: "cn-hangzhou", zone: "cn-hangzhou-g", vpcId: "vpc-a",
                    vSwitchId: "vsw-a", minorVersion: LocalSandbox.latestMinorVersion,
                    seed: SeedSpec(keys: 600, databases: 1, valueBytes: 32, elementsPerKey: 3, randomSeed: 9)),
            ]
        )
    }

    static func migration(
        _ name: String = "orders",
        source: String = "r-old0001",
        stage: Stage,
        idleSeconds: Int? = 1
    ) -> MigrationSpec {
        MigrationSpec(
            name: name, provider: "local", source: SourceSpec(region: "cn-hangzhou", instanceId: source),
            target: TargetSpec(
                region: "cn-hangzhou", zone: "cn-hangzhou-h", vpcId: "vpc-b", vSwitchId: "vsw-b",
                instanceName: "\(name)-new", billing: .postPaid),
            activeActive: GroupSpec(name: "\(name)-aa"), cutover: CutoverSpec(requireIdleSourceSeconds: idleSeconds),
            stage: stage)
    }

    // MARK: - Plan and apply

    /// Observes one migration.
    func observe(_ spec: MigrationSpec) async throws -> ObservedMigration {
        try #require(try await provider.observe([spec])[spec.name])
    }

    func plan(_ specs: [MigrationSpec]) async throws -> Plan {
        let observed = try await provider.observe(specs)
        return try Planner(toolVersion: "test").plan(specs, observed: observed, createdAt: "2026-01-01T00:00:00Z")
    }

    /// Applies `plan` with the real applier; returns outcomes and every event.
    ///
    /// - Parameters:
    ///   - using: the provider to apply with (the fixture's by default).
    ///   - onEvent: sees each event as it happens.
    func apply(
        _ plan: Plan, dryRun: Bool = false, using: LocalProvider? = nil,
        onEvent: @escaping @Sendable (ApplyEvent) -> Void = { _ in }
    ) async -> (outcomes: [String: MigrationOutcome], events: [ApplyEvent]) {
        let events = Mutex<[ApplyEvent]>([])
        let provider = using ?? provider
        let applier = Applier(
            options: Applier.Options(
                dryRun: dryRun, parallelism: 2, state: dryRun ? nil : .files(at: stateDirectory),
                stateDirectory: dryRun ? nil : stateDirectory),
            providers: { _ in provider })
        let outcomes = await applier.apply(plan) { event in
            events.withLock { $0.append(event) }
            onEvent(event)
        }
        return (outcomes, events.withLock { $0 })
    }

    /// A provider over the same servers that would resolve every spec to another, empty sandbox.
    func providerResolvingElsewhere() throws -> LocalProvider {
        let redis = try #require(Self.redisServer)
        let elsewhere = SandboxLayout(root: directory.appendingPathComponent("not-this-sandbox"))
        var provider = LocalProvider(
            layout: elsewhere, worker: WorkerLauncher(executable: Self.kvmoveBinary.path), redisServer: redis)
        provider.pollInterval = .milliseconds(200)
        return provider
    }

    // MARK: - Instances

    func state() throws -> SandboxState { try world.sandbox.store.read() }

    func record(_ id: String) throws -> InstanceRecord { try #require(try state().instance(id)) }

    func connect(_ id: String, database: Int = 0, name: String? = nil) async throws -> RESPConnection {
        let record = try record(id)
        return try await RESPConnection.connect(
            RESPConnection.Configuration(
                port: record.port, password: Secret(try world.sandbox.password(id)), database: database,
                clientName: name))
    }

    func keysPerDatabase(_ id: String) async throws -> [Int: Int] {
        let record = try record(id)
        return InstanceProbe.keysPerDatabase(
            try await InstanceProbe.info(
                port: record.port, password: try world.sandbox.password(id), sections: ["keyspace"]))
    }

    /// Every file under the fixture's directory except the password files, with its content.
    func filesWrittenByKvmove() throws -> [(path: String, data: Data)] {
        guard
            let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var files: [(String, Data)] = []
        for case let url as URL in walker where url.lastPathComponent != "password" {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            files.append((url.path, try Data(contentsOf: url)))
        }
        return files
    }

    /// Every file and directory under the sandbox, with its content.
    func snapshot() throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(at: layout.root, includingPropertiesForKeys: nil) else {
            return [:]
        }
        for case let url as URL in walker {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            result[url.path] = isDirectory.boolValue ? Data("directory".utf8) : try Data(contentsOf: url)
        }
        return result
    }

    /// Runs the kvmove binary to completion; returns its exit code and everything it printed.
    ///
    /// It suspends while kvmove runs: blocking a thread of the test process's small cooperative pool for a
    /// whole apply would stall every other test running beside it.
    func runKvmove(_ arguments: [String]) async throws -> (code: Int32, output: String) {
        let (process, output) = try startKvmove(arguments)
        await process.exited()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    /// Starts the kvmove binary; what it prints goes to the returned file.
    func startKvmove(_ arguments: [String]) throws -> (process: Process, output: URL) {
        let process = Process()
        process.executableURL = Self.kvmoveBinary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        for key in ["KVMOVE_FAKE_WORLD", "KVMOVE_STATE_DIR", "KVMOVE_SANDBOX"] { environment.removeValue(forKey: key) }
        environment["NO_COLOR"] = "1"
        environment[RedisServer.environmentVariable] = Self.redisServer
        process.environment = environment
        let output = directory.appendingPathComponent("cli-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try handle.close()
        return (process, output)
    }

    /// Writes a migration spec file for the CLI.
    func writeMigration(_ name: String, source: String, stage: Stage) throws -> String {
        let text = """
            apiVersion: kvmove/v1
            kind: Migration
            metadata:
              name: \(name)
            spec:
              provider: local
              source:
                region: cn-hangzhou
                instanceId: \(source)
              target:
                region: cn-hangzhou
                zone: cn-hangzhou-h
                vpcId: vpc-b
                vSwitchId: vsw-b
                instanceName: \(name)-new
                billing:
                  type: PostPaid
              activeActive:
                name: \(name)-aa
              stage: \(stage.rawValue)

            """
        let url = directory.appendingPathComponent("\(name).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Waits until `condition` holds, polling; fails the test after `timeout`.
    func eventually(
        _ what: String,
        timeout: Duration = .seconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let late = clock.now >= deadline  // the last check begins after the deadline
            if try await condition() { return }
            if late { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }
}

extension ApplyEvent {
    /// A text form of the event, for leak checks and failure messages.
    var text: String { "\(self)" }
}
