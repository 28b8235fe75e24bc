import Foundation
import Testing

/// A verification's result is recorded on the target (tag `kvmove:verified`), so a plan on any machine sees it.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunVerificationRecordTests {
    static let tagKey = "kvmove:verified"

    /// The target's `kvmove:verified` tag in the fake's state.
    static func tag(of instance: String, in cloud: FakeCloud) async throws -> String? {
        let instances = try await cloud.state()["instances"] as? [String: [String: Any]]
        return (instances?[instance]?["Tags"] as? [String: String])?[tagKey]
    }

    /// Rewrites the target's tag in the fake's saved state while the fake is stopped (what another tool could do).
    static func setTag(_ value: String, of instance: String, in cloud: FakeCloud) async throws {
        cloud.kill()
        let data = try Data(contentsOf: cloud.stateFile)
        var state = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var instances = try #require(state["instances"] as? [String: [String: Any]])
        var tags = instances[instance]?["Tags"] as? [String: String] ?? [:]
        tags[tagKey] = value
        instances[instance]?["Tags"] = tags
        state["instances"] = instances
        try JSONSerialization.data(withJSONObject: state).write(to: cloud.stateFile)
        try await cloud.launch()
    }

    @Test("apply stage sync tags the target; plan --detailed-exitcode is 0 there and on a fresh machine")
    func passedVerificationMeansNoChanges() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let apply = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(apply.code == 0, "\(apply.out)\n\(apply.err)")
            let child = try #require(try await AliyunJourneyTests.created(cloud).first)
            let tag = try #require(try await Self.tag(of: child, in: cloud))
            #expect(tag.hasPrefix("passed 20"), "\(tag)")
            #expect(tag.count <= 128)

            // The TagResources call's request id is in the journal.
            let tagCall = try await cloud.callLog().last { $0["action"] as? String == "TagResources" }
            let tagRequest = try #require(tagCall?["request_id"] as? String)
            let journal = try String(
                contentsOf: cli.directory.appendingPathComponent(".kvmove/journal/orders-cache.jsonl"),
                encoding: .utf8)
            #expect(journal.contains(tagRequest))

            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(plan.code == 0, "\(plan.out)\n\(plan.err)")
            #expect(!plan.out.contains("verify"), "\(plan.out)")

            // A fresh machine (no journal, no reports, another HOME) sees the same.
            let fresh = try AliyunCLI(cloud: cloud)
            try fresh.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let elsewhere = try await fresh.run(["plan", "-f", fresh.path("orders.yaml"), "--detailed-exitcode"])
            #expect(elsewhere.code == 0, "\(elsewhere.out)\n\(elsewhere.err)")
            cli.expectNoSecrets(
                [AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword],
                in: [apply.out, apply.err, plan.out, plan.err, elsewhere.out, elsewhere.err])
        }
    }

    @Test("a failed verification overwrites the record and is planned again; a later pass overwrites it back")
    func failedVerificationOverwritesTheRecord() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let first = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(first.code == 0, "\(first.out)\n\(first.err)")
            let child = try #require(try await AliyunJourneyTests.created(cloud).first)
            let childPort = try await AliyunJourneyTests.port(of: child, in: cloud)

            // An earlier failure recorded on the target is read back and makes the plan verify again.
            try await Self.setTag("failed 2026-01-01T00:00:00Z 1 key differs", of: child, in: cloud)
            let replan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(replan.code == 2, "\(replan.out)\n\(replan.err)")
            #expect(replan.out.contains("2026-01-01T00:00:00Z"), "\(replan.out)")

            // The target now holds a key the source does not: this verification fails and says so on the target.
            _ = try await RedisCommand.send(
                port: childPort, password: AliyunCLI.sourcePassword, ["SET", "only-on-target", "x"])
            let failing = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(failing.code != 0, "\(failing.out)\n\(failing.err)")
            let failed = try #require(try await Self.tag(of: child, in: cloud))
            #expect(failed.hasPrefix("failed 20") && !failed.contains("2026-01-01T00:00:00Z"), "\(failed)")
            let after = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(after.code == 2, "\(after.out)\n\(after.err)")
            #expect(after.out.contains("failed"), "\(after.out)")

            // Fixed: the next verification passes and overwrites the failure.
            _ = try await RedisCommand.send(
                port: childPort, password: AliyunCLI.sourcePassword, ["DEL", "only-on-target"])
            let fixed = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(fixed.code == 0, "\(fixed.out)\n\(fixed.err)")
            #expect(try await Self.tag(of: child, in: cloud)?.hasPrefix("passed ") == true)
            let done = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(done.code == 0, "\(done.out)\n\(done.err)")
        }
    }
}
