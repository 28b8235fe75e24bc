import Foundation
import Testing

/// SSL-enabled instances (TLS only): the data plane needs `spec.connection.tls`, and with it runs for real.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunTLSTests {
    @Test("stage sync over TLS with the spec's CA file; without tls the step fails and says to set it")
    func syncOverTLS() async throws {
        let files = try TLSFiles.make()
        defer { files.remove() }
        let cloud = try await FakeCloud.start(tick: 0.1)
        do {
            // Every instance from here on listens with TLS only, the source included.
            try await cloud.control("POST", "config", ["redis_tls": files.fakeConfig])
            try await AliyunCLI.seedStandard(cloud, sourceID: AliyunJourneyTests.sourceID)
            let cli = try AliyunCLI(cloud: cloud)
            let plain = AliyunCLI.spec(stage: "sync")
            let sourcePort = try await AliyunJourneyTests.port(of: AliyunJourneyTests.sourceID, in: cloud)
            _ = try await RedisCommand.send(
                port: sourcePort, password: AliyunCLI.sourcePassword, caFile: files.caFile, ["SET", "secure", "1"])

            try cli.write("orders.yaml", plain)
            let refused = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(refused.code != 0, "\(refused.out)\n\(refused.err)")
            #expect(
                (refused.out + refused.err).contains("set spec.connection.tls: true"), "\(refused.out)\n\(refused.err)")

            try cli.write("certs/ca.pem", try String(contentsOfFile: files.caFile, encoding: .utf8))
            let secure = plain.replacingOccurrences(
                of: "    passwordEnv: \(AliyunCLI.passwordVariable)",
                with: "    passwordEnv: \(AliyunCLI.passwordVariable)\n    tls:\n      caFile: certs/ca.pem")
            try cli.write("orders.yaml", secure)
            let json = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--output", "json"])
            #expect(json.out.contains("\"tls_ca_file\""), "\(json.out)")
            let dryRun = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--dry-run"])
            #expect(dryRun.out.contains("TLS=verify"), "\(dryRun.out)")
            let apply = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(apply.code == 0, "\(apply.out)\n\(apply.err)")
            // The verification read both instances over TLS.
            #expect(apply.out.contains("1 key matches in 1 db"), "\(apply.out)")
            let again = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(again.code == 0, "\(again.out)\n\(again.err)")

            // A CA that did not sign the server's certificate: refused, with what to check.
            let other = try TLSFiles.make()
            defer { other.remove() }
            try cli.write("certs/ca.pem", try String(contentsOfFile: other.caFile, encoding: .utf8))
            // The idle gate at cutover talks to the source over TLS too.
            let gated = secure.replacingOccurrences(
                of: "stage: sync", with: "cutover:\n    requireIdleSource: { for: 1s }\n  stage: cutover")
            try cli.write("orders.yaml", gated)
            let untrusted = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(untrusted.code != 0, "\(untrusted.out)\n\(untrusted.err)")
            #expect(
                (untrusted.out + untrusted.err).contains("spec.connection.tls.caFile"),
                "\(untrusted.out)\n\(untrusted.err)")
            cli.expectNoSecrets(
                [AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword],
                in: [refused.out, refused.err, json.out, dryRun.out, apply.out, apply.err, untrusted.out])
        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
    }
}
