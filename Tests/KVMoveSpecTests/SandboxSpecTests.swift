import Foundation
import KVMoveCore
import KVMoveSpec
import Testing

/// `kind: Sandbox` documents: the example, defaults, and `loadSandbox`'s one-sandbox rule.
@Suite struct SandboxSpecTests {
    static let example = FixtureFiles.repositoryRoot.appendingPathComponent("examples/local/sandbox.yaml").path

    @Test func exampleLoadsWithEveryField() throws {
        let (sandbox, diagnostics) = SpecLoader(environment: [:]).loadSandbox(paths: [Self.example])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let spec = try #require(sandbox)
        #expect(spec.name == "demo")
        #expect(spec.regions == [SandboxRegion(id: "cn-hangzhou", zones: ["cn-hangzhou-g", "cn-hangzhou-h"])])
        #expect(spec.vpcs.map(\.id) == ["vpc-a", "vpc-b"])
        #expect(spec.vpcs[1].vSwitches == [SandboxVSwitch(id: "vsw-b-h", zone: "cn-hangzhou-h")])
        let source = try #require(spec.instances.first)
        #expect(source.id == "r-orders0001")
        #expect(source.minorVersion == "7.0.1.3")
        #expect(source.billing == .postPaid)
        #expect(
            source.seed
                == SeedSpec(
                    keys: 200_000, databases: 2, types: SeedType.allCases, valueBytes: 100, elementsPerKey: 8,
                    ttlPercent: 10, randomSeed: 42))
        #expect(spec.locations.fields["spec.instances[0].seed.keys"]?.line == 35)
    }

    @Test func defaultsApplyWhenOptionalFieldsAreLeftOut() throws {
        let text = """
            apiVersion: kvmove/v1
            kind: Sandbox
            metadata: { name: tiny }
            spec:
              regions: [{ id: r1, zones: [z1, z2] }]
              vpcs: [{ id: vpc-x, region: r1, vSwitches: [{ id: vsw-x, zone: z1 }] }]
              instances:
                - { id: r-one, name: one, region: r1, zone: z1, vpcId: vpc-x, vSwitchId: vsw-x, minorVersion: 7.0.2.6,
                    seed: { keys: 10 } }
            """
        let result = SpecLoader(environment: [:]).load(text: text, file: "tiny.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let instance = try #require(result.sandboxes.first?.instances.first)
        #expect(instance.instanceClass == "redis.master.small.default")
        #expect(instance.engineVersion == "7.0")
        #expect(instance.seed == SeedSpec(keys: 10))
        #expect(result.specs.isEmpty)
    }

    @Test func migrationsLoadBesideASandboxAndIgnoreIt() {
        let directory = FixtureFiles.repositoryRoot.appendingPathComponent("examples/local").path
        let result = SpecLoader(environment: ["KVMOVE_STAGE": "sync"]).load(paths: [directory])
        #expect(!result.hasErrors, "\(result.diagnostics)")
        #expect(result.specs.map(\.name) == ["demo-orders"])
        #expect(result.sandboxes.map(\.name) == ["demo"])
    }

    @Test func noSandboxIsAnError() {
        let migration = FixtureFiles.repositoryRoot.appendingPathComponent("examples/basic/orders-cache.yaml").path
        let (sandbox, diagnostics) = SpecLoader(environment: [:]).loadSandbox(paths: [migration])
        #expect(sandbox == nil)
        #expect(diagnostics.map(\.message).contains { $0.hasPrefix("no kind: Sandbox document in ") })
    }

    @Test func twoSandboxesAreAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.example, encoding: .utf8)
        try text.write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try text.write(to: directory.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        let (sandbox, diagnostics) = SpecLoader(environment: [:]).loadSandbox(paths: [directory.path])
        #expect(sandbox == nil)
        #expect(diagnostics.last?.message.hasPrefix("2 kind: Sandbox documents found") == true)
    }
}
