import Foundation
import KVMoveCore
import KVMoveSpec
import Testing

/// `spec.connection` and `spec.source.whenPrePaid`: decoded when right, pointed at when wrong.
@Suite struct ConnectionSpecTests {
    static func load(_ extra: String, source: String = "", provider: String = "aliyun") throws -> SpecLoadResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kvmove-conn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("m.yaml")
        let text = """
            apiVersion: kvmove/v1
            kind: Migration
            metadata:
              name: orders
            spec:
              provider: \(provider)
              source:
                region: cn-hangzhou
                instanceId: r-bp1zxszhcgatnx0001
            \(source)
              target:
                region: cn-hangzhou
                zone: cn-hangzhou-h
                vpcId: vpc-bp1app0001
                vSwitchId: vsw-bp1app0001
                instanceName: orders
                billing: { type: PostPaid }
              activeActive:
                name: orders-aa
            \(extra)
              stage: complete

            """
        try text.write(to: file, atomically: true, encoding: .utf8)
        return SpecLoader(environment: [:]).load(paths: [file.path])
    }

    @Test func decodesEveryField() throws {
        let result = try Self.load(
            "  connection:\n    passwordEnv: ORDERS_REDIS_PASSWORD\n    username: kvmove\n    address: public",
            source: "    whenPrePaid: keep")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let spec = try #require(result.specs.first)
        #expect(
            spec.connection
                == ConnectionSpec(passwordEnv: "ORDERS_REDIS_PASSWORD", username: "kvmove", address: .public))
        #expect(spec.source.whenPrePaid == .keep)
    }

    @Test func decodesTimeouts() throws {
        let result = try Self.load(
            "  connection:\n    commandTimeout: 1m30s\n    replicationTimeout: 2m", provider: "local")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let connection = try #require(result.specs.first?.connection)
        #expect(connection.commandTimeoutSeconds == 90)
        #expect(connection.replicationTimeoutSeconds == 120)
        let aliyun = try Self.load("  connection:\n    commandTimeout: 5s")
        #expect(aliyun.diagnostics.isEmpty, "\(aliyun.diagnostics)")
        #expect(aliyun.specs.first?.connection?.commandTimeoutSeconds == 5)
        #expect(aliyun.specs.first?.connection?.replicationTimeoutSeconds == nil)
    }

    @Test func absentMeansDefaults() throws {
        let result = try Self.load("")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.specs.first?.connection == nil)
        #expect(result.specs.first?.source.whenPrePaid == nil)
    }

    @Test(arguments: [
        ("  connection:\n    passwordEnv: \"hunter2 is my password\"", "must name an environment variable"),
        ("  connection:\n    password: hunter2", "unknown key \"password\""),
        ("  connection:\n    address: internet", "spec.connection.address"),
    ])
    func badConnectionsAreErrors(extra: String, message: String) throws {
        let result = try Self.load(extra)
        #expect(result.specs.isEmpty)
        #expect(result.diagnostics.contains { "\($0)".contains(message) }, "\(result.diagnostics)")
    }

    @Test func badPrePaidPolicyIsAnError() throws {
        let result = try Self.load("", source: "    whenPrePaid: release")
        #expect(result.specs.isEmpty)
        #expect(result.diagnostics.contains { "\($0)".contains("spec.source.whenPrePaid") })
    }
}
