import Foundation
import Testing

/// The target's name is taken in the target region by an instance kvmove did not create: plan refuses.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunNameConflictTests {
    @Test("plan refuses a target name held by an untagged instance, and plans once the spec names another")
    func targetNameTaken() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try await cloud.control(
                "POST", "seed",
                [
                    "instances": [
                        [
                            "InstanceId": "r-bp1someoneelse01", "InstanceName": "orders-cache-new",
                            "RegionId": AliyunCLI.region, "ZoneId": "cn-hangzhou-k", "VpcId": "vpc-bp1app0001",
                            "VSwitchId": "vsw-bp1app0001", "InstanceClass": "redis.amber.master.2g.default",
                            "backed": false,
                            // Tagged for another migration: still not this migration's target.
                            "Tags": ["kvmove:migration": "another-migration"],
                        ] as [String: any Sendable]
                    ]
                ])
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(plan.code == 1, "\(plan.out)\n\(plan.err)")
            let text = plan.out + plan.err
            #expect(
                text.contains(
                    "target name \"orders-cache-new\" is taken by r-bp1someoneelse01, which kvmove did not create"),
                "\(text)")
            #expect(text.contains("spec.target.instanceName") || text.contains("orders.yaml:"), "\(text)")

            // Another name in the spec: no conflict.
            try cli.write(
                "orders.yaml",
                AliyunCLI.spec(stage: "sync").replacingOccurrences(
                    of: "instanceName: orders-cache-new", with: "instanceName: orders-cache-vpc2"))
            let other = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(other.code == 2, "\(other.out)\n\(other.err)")
        }
    }
}
