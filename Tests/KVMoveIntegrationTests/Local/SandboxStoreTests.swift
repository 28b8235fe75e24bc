import Foundation
import KVMoveCore
import KVMoveLocal
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// State persistence, locking and atomicity of the sandbox; passwords and credentials.
@Suite("Sandbox state")
struct SandboxStoreTests {
    let layout: SandboxLayout

    init() {
        layout = SandboxLayout(
            root: FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-store-\(UUID().uuidString)"))
    }

    private var store: SandboxStore { SandboxStore(layout: layout) }

    private func cleanUp() { try? FileManager.default.removeItem(at: layout.root) }

    @Test func readingAMissingSandboxCreatesNothing() throws {
        defer { cleanUp() }
        #expect(try store.read() == SandboxState())
        #expect(!FileManager.default.fileExists(atPath: layout.root.path))
    }

    @Test func changesPersistAndReadBack() async throws {
        defer { cleanUp() }
        try await store.change { $0.vpcs.append(VPCRecord(id: "vpc-a", region: "cn-hangzhou")) }
        #expect(try store.read().vpcs == [VPCRecord(id: "vpc-a", region: "cn-hangzhou")])
        let text = try String(contentsOf: layout.stateFile, encoding: .utf8)
        #expect(text.contains("\"vpc-a\""))
    }

    @Test func concurrentChangesAreNeverLost() async throws {
        defer { cleanUp() }
        let store = store
        await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    // A separate store value per task: each change opens and locks on its own.
                    try await SandboxStore(layout: store.layout).change {
                        $0.vpcs.append(VPCRecord(id: "vpc-\(index)", region: "r"))
                    }
                }
            }
        }
        #expect(Set(try store.read().vpcs.map(\.id)) == Set((0..<40).map { "vpc-\($0)" }))
    }

    @Test func aTornTemporaryFileIsIgnored() async throws {
        defer { cleanUp() }
        try await store.change { $0.name = "before" }
        // A writer killed mid-write leaves a partial temporary file beside the state.
        let torn = layout.root.appendingPathComponent(".state.json.tmp")
        try Data("{\"version\": 1, \"name\": \"half-writ".utf8).write(to: torn)
        #expect(try store.read().name == "before")
        try await store.change { $0.name = "after" }
        #expect(try store.read().name == "after")
    }

    @Test func aHeldLockMakesOtherWritersWait() async throws {
        defer { cleanUp() }
        try await store.change { $0.name = "first" }
        let held = try await FileLock.acquire(layout.lockFile)
        let store = store
        let writer = Task { try await store.change { $0.name = "second" } }
        try await Task.sleep(for: .milliseconds(200))
        #expect(try store.read().name == "first")
        held.release()
        try await writer.value
        #expect(try store.read().name == "second")
    }

    @Test func passwordFilesAreOwnerOnly() throws {
        defer { cleanUp() }
        let password = PasswordFile.generate()
        let file = layout.passwordFile("r-test")
        try PasswordFile.write(password, to: file)
        let mode = try #require(FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        #expect(try PasswordFile.read(file) == password)
    }

    @Test(arguments: 0..<20) func generatedPasswordsMeetTheCloudRules(_ run: Int) {
        let password = PasswordFile.generate()
        #expect((24...32).contains(password.count))
        #expect(password.contains { $0.isUppercase })
        #expect(password.contains { $0.isLowercase })
        #expect(password.contains { $0.isNumber })
        #expect(password.contains { "-_!*".contains($0) })
        #expect(!password.contains { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "@" || $0 == ":" })
    }

    @Test func credentialsAreAConnectionURLByNameOrId() async throws {
        defer { cleanUp() }
        let password = "Ab3-Cd4_Ef5!Gh6*Jk7-Mn8_Pq9!"
        try PasswordFile.write(password, to: layout.passwordFile("r-one"))
        try await store.change {
            $0.instances.append(
                InstanceRecord(
                    id: "r-one", name: "orders-old", region: "r", zone: "z", vpcId: "v", vSwitchId: "s",
                    instanceClass: "c", engineVersion: "7.0", minorVersion: "7.0.1.0", billing: .postPaid,
                    lifecycle: .normal, port: 6390, token: "t"))
        }
        let world = SandboxWorld(layout: layout, worker: WorkerLauncher(executable: "/bin/false"))
        #expect(try world.credentials("orders-old") == "redis://default:\(password)@127.0.0.1:6390")
        #expect(try world.credentials("r-one") == "redis://default:\(password)@127.0.0.1:6390")
        #expect(throws: ProviderError.self) { try world.credentials("nope") }
        let state = try String(contentsOf: layout.stateFile, encoding: .utf8)
        #expect(!state.contains(password))
    }

    @Test func theSandboxDirectoryResolvesFlagThenEnvironmentThenBesideTheSpec() {
        let env = [SandboxLayout.environmentVariable: "/env/sb"]
        #expect(
            SandboxLayout.resolve(explicit: "/flag/sb", environment: env, specFile: "/a/m.yaml").root.path == "/flag/sb"
        )
        #expect(SandboxLayout.resolve(explicit: nil, environment: env, specFile: "/a/m.yaml").root.path == "/env/sb")
        #expect(
            SandboxLayout.resolve(explicit: nil, environment: [:], specFile: "/a/m.yaml").root.path
                == "/a/.kvmove/sandbox")
    }

    @Test func minorVersionsCompareNumerically() {
        #expect(!LocalSandbox.isSyncCapable("7.0.1.3"))
        #expect(LocalSandbox.isSyncCapable(LocalSandbox.minimumSyncMinorVersion))
        #expect(LocalSandbox.isSyncCapable("7.0.10.0"))
        #expect(LocalSandbox.isSyncCapable(LocalSandbox.latestMinorVersion))
    }
}
