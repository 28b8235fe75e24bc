import Foundation
import KVMoveRESP
import KVMoveSync
import Testing

@Suite(
    "Data plane over TLS against redis-server",
    .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct TLSDataPlaneTests {
    @Test("copy and verify through TLS, with the CA checked and the report written")
    func verifyThroughTLS() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        try await RedisServerFixture.with(tls: certificates.serverFiles) { source in
            try await RedisServerFixture.with(tls: certificates.serverFiles) { target in
                let seed = try await source.connect()
                let keys = try await seedEveryType(seed, database: 0)
                await seed.close()

                let dataPlane = DataPlane(source: source.endpoint, target: target.endpoint)
                #expect("\(dataPlane.source)" == "127.0.0.1:\(source.port) (tls)")
                let copied = try await dataPlane.copy { _ in }
                #expect(copied.keys == keys)
                let report = try await dataPlane.verify { _, _ in }
                #expect(report.passed, "\(report.summary)")
                #expect(report.keysChecked == keys)

                // The same through the server name in the certificate, as a cloud endpoint is reached.
                var byName = source.endpoint
                byName.tls = .on(serverName: "localhost", caCertificateFile: certificates.caCertificateFile)
                #expect(try await DataPlane(source: byName, target: target.endpoint).verify { _, _ in }.passed)

                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("kvmove-reports-\(UUID().uuidString.prefix(8))")
                defer { try? FileManager.default.removeItem(at: directory) }
                let file = try report.write(
                    toDirectory: directory, migration: "orders", date: Date(timeIntervalSince1970: 1_767_323_045))
                #expect(file.lastPathComponent == "orders-verify-20260102T030405Z.json")
                let text = try String(contentsOf: file, encoding: .utf8)
                #expect(text.hasPrefix("{\n  \"keysChecked\" : \(keys),"), "pretty-printed with sorted keys")
                let decoded = try JSONDecoder().decode(VerificationReport.self, from: Data(text.utf8))
                #expect(decoded == report)
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [file.lastPathComponent])
            }
        }
    }

    @Test("a server whose certificate another CA signed is refused with a clear error")
    func wrongCA() async throws {
        let certificates = try TestCertificates.make(name: "server")
        let other = try TestCertificates.make(name: "other")
        defer {
            certificates.remove()
            other.remove()
        }
        try await RedisServerFixture.with(tls: certificates.serverFiles) { server in
            var endpoint = server.endpoint
            endpoint.tls = .on(caCertificateFile: other.caCertificateFile)
            do {
                _ = try await DataPlane(source: endpoint, target: server.endpoint).verify { _, _ in }
                Issue.record("a certificate from an untrusted CA should be refused")
            } catch let error as RESPError {
                guard case .unreachable(let address, .tlsHandshake) = error else {
                    Issue.record("expected a TLS handshake failure, got \(error)")
                    return
                }
                #expect(address == "127.0.0.1:\(server.port)")
                #expect(error.code == "TLSHandshakeFailed" && !error.isRetryable)
                #expect(
                    "\(error)".hasPrefix(
                        "(redis) cannot connect to 127.0.0.1:\(server.port): the TLS handshake failed: the server's "
                            + "certificate is not trusted (CERTIFICATE_VERIFY_FAILED); check"), "\(error)")
            }

            // Not verifying the certificate still encrypts, and connects.
            endpoint.tls = .on(verifyCertificate: false)
            let connection = try await endpoint.connect(role: ClientRole("test"))
            #expect(try await connection.send(RESPCommand("PING")) == .simpleString("PONG"))
            await connection.close()

            // A plain connection to the TLS port does not get through.
            var plain = server.endpoint
            plain.tls = .off
            await #expect(throws: RESPError.self) { try await plain.connect(role: ClientRole("test")) }

            // A CA file that does not exist is a configuration error, not a network one.
            endpoint.tls = .on(caCertificateFile: other.directory.appendingPathComponent("missing.crt").path)
            do {
                _ = try await endpoint.connect(role: ClientRole("test"))
                Issue.record("a missing CA file should fail")
            } catch let error as RESPError {
                #expect(error.code == "TLSConfiguration", "\(error)")
                #expect("\(error)".contains("missing.crt"))
            }
        }
    }
}
