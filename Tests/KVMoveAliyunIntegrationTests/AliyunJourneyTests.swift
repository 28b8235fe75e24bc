import Foundation
import Testing

/// The built `kvmove` binary moves an instance through all three stages against the fake cloud.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunJourneyTests {
    static let sourceID = "r-bp1e2esource0001"

    /// Starts a fake cloud with the standard world, runs `body`, stops the cloud.
    static func withWorld(_ body: (FakeCloud, AliyunCLI) async throws -> Void) async throws {
        let cloud = try await FakeCloud.start(tick: 0.1)
        do {
            try await AliyunCLI.seedStandard(cloud, sourceID: sourceID)
            let cli = try AliyunCLI(cloud: cloud)
            try await body(cloud, cli)
        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
    }

    static func port(of instance: String, in cloud: FakeCloud) async throws -> Int {
        let instances = try await cloud.state()["instances"] as? [String: [String: Any]]
        return instances?[instance]?["Port"] as? Int ?? 0
    }

    /// Instances a create action made, from the fake's record (survives kills and retries).
    static func created(_ cloud: FakeCloud) async throws -> [String] {
        ((try await cloud.state()["created"] as? [[String: Any]]) ?? []).compactMap { $0["InstanceId"] as? String }
    }

    @Test("sync → cutover → complete with throttling, 5xx and a lost create answer; one child; no secret shown")
    func threeStages() async throws {
        try await Self.withWorld { cloud, cli in
            let sourcePort = try await Self.port(of: Self.sourceID, in: cloud)
            _ = try await RedisCommand.send(
                port: sourcePort, password: AliyunCLI.sourcePassword, ["SET", "before", "1"])
            // Observe retries its reads in the client (see `AliyunThrottlingTests`); these faults hit the steps.
            try await cloud.control(
                "POST", "faults",
                [
                    ["action": "ModifyInstanceMinorVersion", "kind": "throttle"],
                    ["action": "CreateGlobalDistributeCache", "kind": "throttle", "times": 2],
                    ["action": "DescribeGlobalDistributeCache", "kind": "error", "status": 503, "skip": 1],
                    ["action": "CreateInstance", "kind": "error", "status": 500, "code": "InternalError"],
                    ["action": "CreateInstance", "kind": "after_error"],
                    ["action": "RemoveSubInstance", "kind": "throttle"],
                    ["action": "DeleteInstance", "kind": "error", "status": 503],
                ])
            var outputs: [String] = []
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let sync = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            outputs += [sync.out, sync.err]
            #expect(sync.code == 0, "\(sync.out)\n\(sync.err)")
            let children = try await Self.created(cloud)
            #expect(children.count == 1, "created: \(children)")
            guard let child = children.first else { return }
            let childPort = try await Self.port(of: child, in: cloud)
            #expect(
                try await RedisCommand.send(port: childPort, password: AliyunCLI.sourcePassword, ["GET", "before"])
                    == "1")

            try cli.write("orders.yaml", AliyunCLI.spec(stage: "cutover", idleFor: "2s", maxLag: "1s"))
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "-out", cli.path("cutover.plan")])
            outputs += [plan.out, plan.err]
            let cutover = try await cli.run(["apply", cli.path("cutover.plan"), "--auto-approve"])
            outputs += [cutover.out, cutover.err]
            #expect(cutover.code == 0, "\(cutover.out)\n\(cutover.err)")
            // The idle gate ran for real against the source's redis-server, replication link and all.
            #expect(cutover.out.contains("source idle for 2s: no application connected"), "\(cutover.out)")
            // The lag gate times a sentinel key through the cloud's channel (the fake's: Redis replication).
            #expect(cutover.out.contains("channel lag under 1s: 3 samples in a row"), "\(cutover.out)")
            let groups = try await cloud.state()["groups"] as? [String: [String: Any]] ?? [:]
            #expect(!groups.values.contains { ($0["members"] as? [String] ?? []).contains(child) })

            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete", idleFor: "2s"))
            let complete = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            outputs += [complete.out, complete.err]
            #expect(complete.code == 0, "\(complete.out)\n\(complete.err)")
            let instances = try await cloud.state()["instances"] as? [String: Any] ?? [:]
            #expect(instances[Self.sourceID] == nil, "the source is still there")
            #expect(instances[child] != nil)
            #expect(try await Self.created(cloud) == [child])
            let again = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
            cli.expectNoSecrets(
                [AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword], in: outputs + [again.out, again.err])
        }
    }

    @Test("apply --dry-run prints the calls and makes no changing call")
    func dryRun() async throws {
        try await Self.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete"))
            try await cloud.resetCalls()
            let result = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--dry-run"])
            #expect(result.code == 0, "\(result.out)\n\(result.err)")
            for name in ["ModifyInstanceMinorVersion", "CreateGlobalDistributeCache", "CreateInstance"] {
                #expect(result.out.contains(name), "dry-run does not show \(name)")
            }
            let actions = try await cloud.callLog().compactMap { $0["action"] as? String }
            let changing = actions.filter { !$0.hasPrefix("Describe") && $0 != "AssumeRole" }
            #expect(changing.isEmpty, "dry-run called \(changing)")
            #expect(try await Self.created(cloud).isEmpty)
            cli.expectNoSecrets([AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword], in: [result.out, result.err])
        }
    }
}
