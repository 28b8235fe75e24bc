import Foundation
import Testing

/// Throttling injected by the fake cloud: plan observes through it; apply journals every throttled try.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunThrottlingTests {
    /// The journal's lines as JSON objects.
    static func journal(_ cli: AliyunCLI, _ migration: String = "orders-cache") throws -> [[String: Any]] {
        let text = try String(
            contentsOf: cli.directory.appendingPathComponent(".kvmove/journal/\(migration).jsonl"), encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test("plan succeeds through Throttling and 503 on every Describe* call of the batched observe")
    func planThroughThrottling() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let quiet = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--no-color"])
            let throttled = [
                "DescribeInstances", "DescribeGlobalDistributeCache", "DescribeVpcs", "DescribeVSwitches",
                "DescribeEngineVersion",
            ]
            try await cloud.resetCalls()
            try await cloud.control(
                "POST", "faults",
                throttled.map { ["action": $0, "kind": "throttle", "code": "Throttling", "times": 2] }
                    + [["action": "DescribeVpcs", "kind": "error", "status": 503, "code": "ServiceUnavailable"]])
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode", "--no-color"])
            #expect(plan.code == 2, "\(plan.out)\n\(plan.err)")
            // The same plan as without throttling.
            #expect(plan.out == quiet.out, "\(plan.out)\n---\n\(quiet.out)")
            let log = try await cloud.callLog()
            for action in throttled {
                let answers = log.filter { $0["action"] as? String == action }.map { $0["code"] as? String ?? "200" }
                #expect(Array(answers.prefix(2)) == ["Throttling", "Throttling"], "\(action): \(answers)")
                #expect(answers.contains("200"), "\(action) never succeeded: \(answers)")
            }
            let faults = try await cloud.state()["faults"] as? [[String: Any]] ?? []
            #expect(faults.allSatisfy { ($0["times"] as? Int ?? 1) == 0 }, "faults not all used: \(faults)")
        }
    }

    @Test("apply through throttling: each throttled try is in the journal with its request id and try number")
    func applyJournalsThrottledTries() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            try await cloud.control(
                "POST", "faults",
                [
                    // A changing call: the applier retries it and journals both tries.
                    ["action": "ModifyInstanceMinorVersion", "kind": "throttle", "code": "Throttling"],
                    // A read inside a step (the group's pre-check and polls): the client retries it.
                    ["action": "DescribeInstanceAttribute", "kind": "throttle", "code": "Throttling.User", "times": 2],
                ])
            let apply = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(apply.code == 0, "\(apply.out)\n\(apply.err)")
            let log = try await cloud.callLog()
            let entries = try Self.journal(cli)

            let modify = log.filter { $0["action"] as? String == "ModifyInstanceMinorVersion" }
            #expect(modify.map { $0["code"] as? String ?? "200" } == ["Throttling", "200"], "\(modify)")
            let modifyTries = entries.filter {
                $0["event"] as? String == "request" && $0["action"] as? String == "r-kvstore ModifyInstanceMinorVersion"
            }
            #expect(modifyTries.compactMap { $0["attempt"] as? Int } == [1, 2], "\(modifyTries)")
            #expect(modifyTries.first?["errorCode"] as? String == "Throttling")
            let throttledModify = try #require(modify.first?["request_id"] as? String)
            #expect(modifyTries.first?["requestId"] as? String == throttledModify)
            let sentModify = try #require(modify.last?["request_id"] as? String)
            #expect(entries.contains { ($0["operationId"] as? String)?.contains(sentModify) == true })

            let reads = log.filter {
                $0["action"] as? String == "DescribeInstanceAttribute" && $0["code"] as? String == "Throttling.User"
            }
            #expect(reads.count == 2)
            let operations = entries.compactMap { $0["operationId"] as? String }
            for read in reads {
                let id = try #require(read["request_id"] as? String)
                #expect(
                    operations.contains {
                        $0.contains("DescribeInstanceAttribute") && $0.contains("Throttling.User") && $0.contains(id)
                    }, "request \(id) is not in the journal: \(operations)")
            }
            #expect(operations.contains { $0.contains("DescribeInstanceAttribute try 2") })
            cli.expectNoSecrets([AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword], in: [apply.out, apply.err])
        }
    }
}
