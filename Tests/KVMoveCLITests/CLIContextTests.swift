import Foundation
import KVMoveCLI
import KVMoveCore
import KVMoveTestSupport
import Synchronization
import Testing

/// The in-process seam: providers made once per run, `--sandbox` reaching them, errors mapped as `main()` maps them.
struct CLIContextTests {
    /// The provider names and sandbox directories a factory was asked for.
    final class FactoryLog: Sendable {
        let requests = Mutex<[(name: String, sandbox: String?)]>([])
        let shutdowns = Mutex(0)

        /// A factory that records each request and serves the fake world of `cli`.
        func factory(for cli: CLIHarness) throws -> CLIContext.ProviderFactory {
            let store = try FakeWorldStore(file: cli.worldFile)
            return { [self] name, settings in
                requests.withLock { $0.append((name, settings.sandboxDirectory)) }
                return FakeProvider(name: name, store: store) { [self] in shutdowns.withLock { $0 += 1 } }
            }
        }
    }

    @Test("the provider factory is asked once per provider name per run, however many migrations name it")
    func providerMadeOncePerRun() async throws {
        var world = FakeWorld.standard()
        var second = world.instances[0]
        second.observed.id = "r-bp1zxszhcgatnx0002"
        second.observed.name = "sessions-old"
        world.instances.append(second)
        var cli = try CLIHarness(world: world)
        try cli.write("m/orders.yaml", migrationYAML())
        try cli.write(
            "m/sessions.yaml",
            migrationYAML(name: "sessions").replacingOccurrences(of: "nx0001", with: "nx0002"))
        let log = FactoryLog()
        cli.makeProvider = try log.factory(for: cli)
        let result = try await cli.run("apply", "-f", cli.path("m"), "--auto-approve")
        #expect(result.code == 0, "\(result.all)")
        #expect(result.out.contains("Apply complete!"))
        #expect(log.requests.withLock { $0.map(\.name) } == ["local"])
        #expect(log.shutdowns.withLock { $0 } == 1)
        let again = try await cli.run("plan", "-f", cli.path("m"))
        #expect(again.code == 0, "\(again.all)")
        #expect(log.requests.withLock { $0.map(\.name) } == ["local", "local"])
        // Each run shuts down the provider it made, once, at its end.
        #expect(log.shutdowns.withLock { $0 } == 2)
    }

    @Test("a provider that cannot be made is one error per migration, from one request")
    func failedProviderMadeOnce() async throws {
        var cli = try CLIHarness()
        let requests = Mutex(0)
        cli.makeProvider = { name, _ in
            requests.withLock { $0 += 1 }
            throw ProviderError(source: .local, code: "Unavailable", message: "no \(name) here")
        }
        try cli.write("m/orders.yaml", migrationYAML())
        try cli.write("m/sessions.yaml", migrationYAML(name: "sessions"))
        let result = try await cli.run("plan", "-f", cli.path("m"))
        #expect(result.code == 1)
        #expect(result.err.components(separatedBy: "no local here").count == 3, "\(result.err)")
        #expect(requests.withLock { $0 } == 1)
    }

    @Test("graph, plan and apply hand --sandbox to the providers")
    func sandboxOption() async throws {
        var cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let log = FactoryLog()
        cli.makeProvider = try log.factory(for: cli)
        let sandbox = cli.path("elsewhere")
        for command in [["graph"], ["plan"], ["apply", "--dry-run"]] {
            let result = try await cli.run(command + ["-f", cli.path("orders.yaml"), "--sandbox", sandbox])
            #expect(result.code == 0, "\(command): \(result.all)")
        }
        #expect(log.requests.withLock { $0.map(\.sandbox) } == [sandbox, sandbox, sandbox])
    }

    @Test(
        "in-process runs print and exit exactly as the shipped binary's ArgumentParser main()",
        arguments: [
            ["--version"], ["frobnicate"], ["plan", "--bogus"], ["completion", "tcsh"], ["apply"],
            ["show", "missing.plan"], ["unlock", "orders-cache", "--state-dir", "."], ["validate", "orders.yaml"],
        ]
    )
    func sameAsMain(arguments: [String]) async throws {
        let cli = try CLIHarness(world: nil)
        try cli.write("orders.yaml", migrationYAML())
        let absolute = arguments.map { $0.hasSuffix(".plan") || $0.hasSuffix(".yaml") || $0 == "." ? cli.path($0) : $0 }
        let inProcess = try await cli.run(absolute)
        let shipped = try await cli.runShipped(absolute)
        #expect(inProcess.code == shipped.code)
        #expect(inProcess.out == shipped.out)
        #expect(inProcess.err == shipped.err)
    }
}
