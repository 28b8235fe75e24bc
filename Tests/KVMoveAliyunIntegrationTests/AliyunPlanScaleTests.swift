import Foundation
import Testing

/// Planning 200 migrations in one region batches its calls (the count and time go to docs/performance.md).
@Suite(.enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunPlanScaleTests {
    static let count = 200

    @Test("kvmove plan of 200 migrations in one region: calls batched, counted against the fake")
    func twoHundred() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            let ids = (0..<Self.count).map { String(format: "r-bp1perf%06d", $0) }
            try await cloud.control(
                "POST", "seed",
                [
                    "instances": ids.map {
                        [
                            "InstanceId": $0, "RegionId": AliyunCLI.region, "ZoneId": "cn-hangzhou-h",
                            "VpcId": "vpc-bp1old0001", "VSwitchId": "vsw-bp1old0001", "backed": false,
                            "InstanceClass": "redis.amber.master.2g.default",
                        ] as [String: any Sendable]
                    }
                ])
            let documents = ids.enumerated().map { index, id in
                AliyunCLI.spec(name: "perf-\(index)", sourceID: id, stage: "sync")
            }
            try cli.write("many/migrations.yaml", documents.joined(separator: "---\n"))
            try await cloud.resetCalls()
            let started = ContinuousClock.now
            let plan = try await cli.run(["plan", "-f", cli.path("many")])
            let elapsed = ContinuousClock.now - started
            #expect(plan.code == 0, "\(plan.out.suffix(2000))\n\(plan.err.suffix(2000))")
            let counts = try await cloud.callCounts()
            let total = counts.values.reduce(0, +)
            let line = counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("PLAN-200: \(total) calls in \(elapsed): \(line)")
            #expect((counts["DescribeInstances"] ?? 0) <= 2 * (Self.count / 30 + 2), "\(line)")
            #expect((counts["DescribeInstanceAttribute"] ?? 0) == 0, "\(line)")
            #expect((counts["DescribeVpcs"] ?? 0) + (counts["DescribeVSwitches"] ?? 0) <= 10, "\(line)")
            #expect(total <= 2 * Self.count + 40, "\(line)")
        }
    }
}
