import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import Testing

@Suite(
    "The data plane never shows a password", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct SecretRedactionTests {
    @Test("a real password appears in no description, error, report or dump")
    func passwordNowhere() async throws {
        let password = "Pw-\(UUID().uuidString)-kvmove"
        try await RedisServerFixture.with(password: password) { server in
            try await RedisServerFixture.with(password: password) { target in
                let source = server.endpoint
                #expect(source.password?.reveal() == password, "the endpoint carries the real password")
                let dataPlane = DataPlane(source: source, target: target.endpoint)
                var texts: [String] = [
                    "\(source)", String(describing: source), String(reflecting: source),
                    String(reflecting: dataPlane), "\(source.configuration(role: .verify))",
                    String(reflecting: source.configuration(role: .verify)),
                ]
                for value in [source as Any, dataPlane, source.configuration(role: .gate)] {
                    var dumped = ""
                    dump(value, to: &dumped)
                    texts.append(dumped)
                    #expect(dumped.contains(Secret.redacted), "dump shows the redaction marker: \(dumped)")
                }
                texts.append("\(Mirror(reflecting: source).children.map { "\($0.label ?? ""): \($0.value)" })")

                // It logs in for real: a verification passes and its report is written.
                let seed = try await server.connect()
                _ = try await seed.send(RESPCommand("SET", "k", "v"))
                await seed.close()
                let report = try await dataPlane.verify { _, _ in }
                #expect(!report.passed)
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("kvmove-secret-\(UUID().uuidString.prefix(8))")
                defer { try? FileManager.default.removeItem(at: directory) }
                let file = try report.write(toDirectory: directory, migration: "orders")
                texts.append(try String(contentsOf: file, encoding: .utf8))

                // Errors: a wrong password, an unreachable endpoint, a refused command.
                var wrong = source
                wrong.password = Secret(password + "-wrong")
                for endpoint in [wrong, RedisEndpoint(port: 1, password: Secret(password))] {
                    do {
                        _ = try await DataPlane(source: endpoint, target: target.endpoint).verify { _, _ in }
                        Issue.record("verification through \(endpoint) should fail")
                    } catch {
                        texts += ["\(error)", String(reflecting: error), error.localizedDescription]
                        if let failure = error as? any DataPlaneFailure { texts += [failure.message, failure.code] }
                        var dumped = ""
                        dump(error, to: &dumped)
                        texts.append(dumped)
                    }
                }
                let connection = try await source.connect(role: ClientRole("test"))
                do {
                    _ = try await connection.send(RESPCommand("AUTH", RESPArgument(password + "-wrong")))
                } catch {
                    texts.append("\(error)")
                }
                await connection.close()

                for text in texts {
                    #expect(!text.contains(password), "the password shows in: \(text)")
                    #expect(!text.contains(password + "-wrong"))
                }
            }
        }
    }
}
