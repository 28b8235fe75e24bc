import Foundation
import KVMoveCore
import Synchronization
import Testing

@testable import KVMoveAliyun

/// Temporary credentials are cached until shortly before they expire, then fetched again, over real HTTP
/// from a loopback server standing in for STS and for the ECS metadata service (endpoints overridden).
@Suite struct CredentialsRefreshTests {
    /// The test's clock: the chain and the loopback service both read it.
    final class Clock: Sendable {
        let time: Mutex<Date>
        init(_ start: Date) { time = Mutex(start) }
        var now: Date { time.withLock { $0 } }
        func set(_ date: Date) { time.withLock { $0 = date } }
    }

    static let start = Date(timeIntervalSince1970: 1_796_000_000)

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Temporary keys numbered by issue, expiring `lifetime` seconds after the clock's now.
    static func issue(_ number: Int, lifetime: TimeInterval, clock: Clock) -> String {
        """
        {"AccessKeyId":"STS.issued\(number)","AccessKeySecret":"secret-\(number)","SecurityToken":"token-\(number)",\
        "Expiration":"\(iso(clock.now.addingTimeInterval(lifetime)))"
        """
    }

    /// Asks the chain for credentials at each `(offset from start, expected key)` in turn.
    static func walk(_ chain: CredentialsChain, clock: Clock, _ steps: [(TimeInterval, String)]) async throws {
        for (offset, expected) in steps {
            clock.set(start.addingTimeInterval(offset))
            let credentials = try await chain.credentials()
            #expect(credentials.accessKeyId == expected, "at +\(Int(offset))s")
            #expect(credentials.securityToken != nil)
        }
    }

    @Test("STS AssumeRole keys (3600 s) are reused until 180 s before Expiration, then assumed again")
    func assumedRoleIsRefreshedBeforeExpiry() async throws {
        let clock = Clock(Self.start)
        let issued = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            guard request.method == "POST", request.headers["x-acs-action"] == "AssumeRole" else {
                return .init(status: 404, body: #"{"Code":"InvalidAction.NotFound","Message":"no"}"#)
            }
            let number = issued.withLock {
                $0 += 1
                return $0
            }
            return .init(
                body: #"{"RequestId":"R\#(number)","Credentials":"# + Self.issue(number, lifetime: 3600, clock: clock)
                    + "}}")
        }
        defer { server.stop() }
        let config = """
            {"current": "role", "profiles": [{"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIbase",
             "access_key_secret": "base-secret", "ram_role_arn": "acs:ram::1:role/kvmove", "expired_seconds": 3600}]}
            """
        let environment = ["ALIBABA_CLOUD_ENDPOINT_STS": server.url]
        let sender = RPCSender(transport: AsyncHTTPTransport())
        let chain = CredentialsChain(
            environment: environment, homeDirectory: "/home/u", sender: sender,
            endpoints: try Endpoints(environment: environment), readFile: { _ in Array(config.utf8) },
            now: { clock.now })
        do {
            try await Self.walk(
                chain, clock: clock,
                [
                    (0, "STS.issued1"), (60, "STS.issued1"), (3000, "STS.issued1"),
                    (3600 - 181, "STS.issued1"),
                    // Within the 180 s margin: fetched again before the old keys stop working.
                    (3600 - 179, "STS.issued2"), (3600, "STS.issued2"), (3600 - 179 + 3600 - 181, "STS.issued2"),
                    (3600 - 179 + 3600 - 179, "STS.issued3"),
                ])
        } catch {
            await sender.transport.shutdown()
            throw error
        }
        await sender.transport.shutdown()
        let calls = server.requests
        #expect(calls.count == 3)
        // Each AssumeRole is signed with the profile's long-lived key, not with an earlier temporary one.
        #expect(calls.allSatisfy { $0.headers["authorization"]?.contains("Credential=LTAIbase,") == true })
    }

    @Test("ECS RAM role keys from the metadata service are reused until 180 s before Expiration, then fetched again")
    func metadataRoleIsRefreshedBeforeExpiry() async throws {
        let clock = Clock(Self.start)
        let issued = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            let prefix = "/latest/meta-data/ram/security-credentials/"
            switch (request.method, request.path) {
            case ("PUT", "/latest/api/token"):
                return .init(contentType: "text/plain", body: "imds-token")
            case ("GET", prefix):
                return .init(contentType: "text/plain", body: "KVMoveRole")
            case ("GET", prefix + "KVMoveRole") where request.headers["x-aliyun-ecs-metadata-token"] == "imds-token":
                let number = issued.withLock {
                    $0 += 1
                    return $0
                }
                return .init(
                    body: #"{"Code":"Success","# + Self.issue(number, lifetime: 21600, clock: clock).dropFirst() + "}")
            default:
                return .init(status: 404, contentType: "text/plain", body: "not found")
            }
        }
        defer { server.stop() }
        let environment = ["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": server.url]
        let sender = RPCSender(transport: AsyncHTTPTransport())
        let chain = CredentialsChain(
            environment: environment, homeDirectory: nil, sender: sender,
            endpoints: try Endpoints(environment: environment),
            readFile: { _ in throw CocoaError(.fileNoSuchFile) }, now: { clock.now })
        do {
            try await Self.walk(
                chain, clock: clock,
                [
                    (0, "STS.issued1"), (21600 - 181, "STS.issued1"), (21600 - 179, "STS.issued2"),
                    (21600, "STS.issued2"),
                ])
        } catch {
            await sender.transport.shutdown()
            throw error
        }
        await sender.transport.shutdown()
        let fetches = server.requests.filter { $0.path.hasSuffix("/KVMoveRole") }
        #expect(fetches.count == 2)
    }
}
