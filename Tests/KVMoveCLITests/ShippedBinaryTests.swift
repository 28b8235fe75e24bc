import Foundation
import KVMoveTestSupport
import Testing

/// The shipped `kvmove` binary: no fake cloud in it, and no way to switch one on.
struct ShippedBinaryTests {
    /// Strings that would be in the binary if it linked the test fakes or kept the old hook.
    static let fakeMarkers = ["KVMOVE_FAKE_WORLD", "KVMoveTestSupport", "FakeProvider", "FakeWorld"]

    @Test("the kvmove binary swift test built contains no fake; the test host does (so this test can fail)")
    func noFakeInBinary() throws {
        let shipped = try Data(contentsOf: CLIHarness.shippedBinary)
        #expect(shipped.count > 0)
        for marker in Self.fakeMarkers {
            #expect(shipped.range(of: Data(marker.utf8)) == nil, "\(CLIHarness.shippedBinary.path) contains \(marker)")
        }
        let host = try Data(contentsOf: CLIHarness.testHost)
        #expect(host.range(of: Data("FakeProvider".utf8)) != nil, "the test host should contain FakeProvider")
    }

    @Test("kvmove plan ignores KVMOVE_FAKE_WORLD: provider local without a sandbox refuses, no fake plan")
    func fakeWorldVariableIgnored() async throws {
        var cli = try CLIHarness()
        cli.environment.removeValue(forKey: "KVMOVE_SANDBOX")
        try cli.write("orders.yaml", migrationYAML())
        let before = try Data(contentsOf: cli.worldFile)
        let result = try await cli.runShipped(
            ["plan", "-f", "orders.yaml"], environment: ["KVMOVE_FAKE_WORLD": cli.worldFile.path])
        #expect(result.code == 1, "\(result.all)")
        #expect(result.err.contains("source instance r-bp1zxszhcgatnx0001 was not found in region cn-hangzhou"))
        #expect(!result.out.contains("Plan:"))
        #expect(!result.all.contains("KVMOVE_FAKE_WORLD"))
        #expect(try Data(contentsOf: cli.worldFile) == before)
        #expect(!FileManager.default.fileExists(atPath: cli.path(".kvmove/sandbox")))
    }

    /// The `redis-server` a sandbox would start, if there is one on `PATH` (or in `REDIS_SERVER`).
    static var redisServer: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["REDIS_SERVER"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let directories = (environment["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":")
        return directories.map { "\($0)/redis-server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// True when the sandbox test should run: redis-server is there, or CI demands it (and fails without it).
    static let sandboxEnabled = redisServer != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(
        "kvmove graph --sandbox DIR graphs against that sandbox",
        .enabled(if: sandboxEnabled, "redis-server is not installed (with CI=true this is a failure)")
    )
    func graphUsesSandbox() async throws {
        var cli = try CLIHarness(world: nil)
        cli.environment.removeValue(forKey: "KVMOVE_SANDBOX")
        try cli.write(
            "cloud/sandbox.yaml",
            """
            apiVersion: kvmove/v1
            kind: Sandbox
            metadata:
              name: graph-test
            spec:
              regions:
                - id: cn-hangzhou
                  zones: [cn-hangzhou-g, cn-hangzhou-h]
              vpcs:
                - id: vpc-bp1old0001
                  region: cn-hangzhou
                  vSwitches:
                    - id: vsw-bp1old0001
                      zone: cn-hangzhou-g
                - id: vpc-bp1app0001
                  region: cn-hangzhou
                  vSwitches:
                    - id: vsw-bp1app0001
                      zone: cn-hangzhou-h
              instances:
                - id: r-bp1zxszhcgatnx0001
                  name: orders-cache-old
                  region: cn-hangzhou
                  zone: cn-hangzhou-g
                  vpcId: vpc-bp1old0001
                  vSwitchId: vsw-bp1old0001
                  engineVersion: "7.0"
                  minorVersion: 7.0.2.6

            """)
        try cli.write("migrations/orders.yaml", migrationYAML())
        let sandbox = cli.path("sandbox")
        let up = try await cli.runShipped(["sandbox", "up", "-f", "cloud/sandbox.yaml", "--sandbox", sandbox])
        #expect(up.code == 0, "\(up.all)")
        let withSandbox = try await cli.runShipped(["graph", "-f", "migrations/orders.yaml", "--sandbox", sandbox])
        let without = try await cli.runShipped(["graph", "-f", "migrations/orders.yaml"])
        let down = try await cli.runShipped(["sandbox", "down", "--purge", "--sandbox", sandbox])
        #expect(down.code == 0, "\(down.all)")
        #expect(withSandbox.code == 0, "\(withSandbox.all)")
        #expect(withSandbox.out.hasPrefix("flowchart"))
        #expect(withSandbox.out.contains("create-target"), "\(withSandbox.out)")
        #expect(without.code == 1)
        #expect(without.err.contains("source instance r-bp1zxszhcgatnx0001 was not found"))
    }
}
