import Foundation
import KVMoveCore
import KVMoveSpec
import Testing

/// `spec.connection.tls`: decoded when right (a CA file resolved from the spec's directory), pointed at when wrong.
@Suite struct ConnectionTLSSpecTests {
    /// Writes a spec with `connection` (indented under `spec:`) and an optional `certs/ca.pem` beside it.
    static func load(_ connection: String, withCAFile: Bool = true) throws -> (SpecLoadResult, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kvmove-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("certs"), withIntermediateDirectories: true)
        if withCAFile {
            try "-----BEGIN CERTIFICATE-----\n".write(
                to: directory.appendingPathComponent("certs/ca.pem"), atomically: true, encoding: .utf8)
        }
        let file = directory.appendingPathComponent("m.yaml")
        let text = """
            apiVersion: kvmove/v1
            kind: Migration
            metadata:
              name: orders
            spec:
              provider: aliyun
              source:
                region: cn-hangzhou
                instanceId: r-bp1zxszhcgatnx0001
              target:
                region: cn-hangzhou
                zone: cn-hangzhou-h
                vpcId: vpc-bp1app0001
                vSwitchId: vsw-bp1app0001
                instanceName: orders
                billing: { type: PostPaid }
              activeActive:
                name: orders-aa
              connection:
                passwordEnv: ORDERS_REDIS_PASSWORD
            \(connection)
              stage: sync

            """
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (SpecLoader(environment: [:]).load(paths: [file.path]), directory)
    }

    @Test func trueChecksAgainstTheSystemRoots() throws {
        let (result, _) = try Self.load("    tls: true")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.specs.first?.connection?.tls == ConnectionTLS())
    }

    @Test func falseAndAbsentArePlainTCP() throws {
        for text in ["    tls: false", ""] {
            let (result, _) = try Self.load(text)
            #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
            #expect(result.specs.first?.connection != nil)
            #expect(result.specs.first?.connection?.tls == nil)
        }
    }

    @Test func aMappingTurnsTLSOnWithTheCAFileResolvedFromTheSpecsDirectory() throws {
        let (result, directory) = try Self.load(
            "    tls:\n      caFile: certs/../certs/ca.pem\n      verifyCertificate: false")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let tls = try #require(result.specs.first?.connection?.tls)
        #expect(tls.caFile == directory.appendingPathComponent("certs/ca.pem").standardizedFileURL.path)
        #expect(tls.caFile?.hasPrefix("/") == true)
        #expect(tls.verifyCertificate == false)
        // Planned values carry it: the plan is the only input to apply.
        let encoded = String(decoding: try JSONEncoder().encode(result.specs[0].connection), as: UTF8.self)
        #expect(encoded.contains("caFile"))
    }

    @Test(arguments: [
        (
            "    tls: yes please",
            "spec.connection.tls must be true, false, or a mapping with caFile and verifyCertificate"
        ),
        (
            "    tls:\n      caFile: certs/missing.pem",
            "spec.connection.tls.caFile names \"certs/missing.pem\", which is not a file"
        ),
        ("    tls:\n      caFile: certs", "which is not a file"),
        ("    tls:\n      verify: false", "unknown key \"verify\""),
        ("    tls:\n      verifyCertificate: nope", "spec.connection.tls.verifyCertificate must be a boolean"),
    ])
    func badTLSSettingsAreErrorsAtTheirLine(text: String, message: String) throws {
        let (result, _) = try Self.load(text)
        #expect(result.specs.isEmpty)
        let shown = result.diagnostics.map { "\($0)" }
        #expect(shown.contains { $0.contains(message) }, "\(shown)")
        // file:line:col: error: …, pointing into the connection block (lines 20 and later).
        #expect(
            shown.contains { line in
                guard let range = line.range(of: #"m\.yaml:(2[0-9]):[0-9]+: error: "#, options: .regularExpression)
                else { return false }
                return !range.isEmpty
            }, "\(shown)")
    }
}
