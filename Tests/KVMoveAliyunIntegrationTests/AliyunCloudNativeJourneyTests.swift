import Foundation
import Testing

/// A cloud-native (`tair.rdb.*`) PrePaid source through all three stages: the target is bought with
/// `CreateTairInstance` and its `ClientToken`; at `complete` the source is converted to pay-as-you-go
/// (`TransformInstanceChargeType`) before it is released.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunCloudNativeJourneyTests {
    static let sourceID = "r-bp1tairsource001"

    static func spec(stage: String, whenPrePaid: String? = "convertToPostPaid") -> String {
        var text = AliyunCLI.spec(name: "sessions", sourceID: sourceID, stage: stage)
        if let whenPrePaid {
            text = text.replacingOccurrences(
                of: "    instanceId: \(sourceID)\n",
                with: "    instanceId: \(sourceID)\n    whenPrePaid: \(whenPrePaid)\n")
        }
        return text
    }

    @Test("CreateTairInstance with ClientToken, then the PrePaid source converted to PostPaid and released")
    func cloudNativePrePaidSource() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try await cloud.control(
                "POST", "seed",
                [
                    "instances": [
                        [
                            "InstanceId": Self.sourceID, "InstanceName": "sessions", "RegionId": AliyunCLI.region,
                            "ZoneId": "cn-hangzhou-h", "VpcId": "vpc-bp1old0001", "VSwitchId": "vsw-bp1old0001",
                            "InstanceClass": "tair.rdb.2g", "EngineVersion": "7.0", "InstanceType": "tair_rdb",
                            "EditionType": "Enterprise", "ComputingType": "Ecs", "ChargeType": "PrePaid",
                            "MinorVersion": "redis-7.0_1.0.0", "LatestMinorVersion": "redis-7.0_1.0.0",
                            "password": AliyunCLI.sourcePassword,
                        ] as [String: any Sendable]
                    ]
                ])
            let sourcePort = try await AliyunJourneyTests.port(of: Self.sourceID, in: cloud)
            _ = try await RedisCommand.send(
                port: sourcePort, password: AliyunCLI.sourcePassword, ["SET", "session:1", "alice"])
            // A lost answer after the cloud carried the create out: the retry finds the tagged instance and does not
            // create again (a resend would carry the same ClientToken).
            try await cloud.control(
                "POST", "faults", [["action": "CreateTairInstance", "kind": "after_error"]])

            try cli.write("sessions.yaml", Self.spec(stage: "sync"))
            let sync = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(sync.code == 0, "\(sync.out)\n\(sync.err)")
            let created = try await cloud.state()["created"] as? [[String: Any]] ?? []
            #expect(created.count == 1, "\(created)")
            #expect(created.first?["action"] as? String == "CreateTairInstance")
            let child = try #require(created.first?["InstanceId"] as? String)
            let creates = try await cloud.callLog().filter { $0["action"] as? String == "CreateTairInstance" }
            #expect(creates.count == 1, "\(creates)")
            let params = creates.first?["params"] as? [String: Any] ?? [:]
            #expect((params["ClientToken"] as? String)?.isEmpty == false, "\(params)")
            #expect(params["InstanceType"] as? String == "tair_rdb")
            #expect(params["InstanceClass"] as? String == "tair.rdb.2g")
            #expect(params["EngineVersion"] as? String == "7.0")
            #expect(params["Token"] == nil && params["NetworkType"] == nil)
            let childPort = try await AliyunJourneyTests.port(of: child, in: cloud)
            #expect(
                try await RedisCommand.send(port: childPort, password: AliyunCLI.sourcePassword, ["GET", "session:1"])
                    == "alice")

            try cli.write("sessions.yaml", Self.spec(stage: "cutover"))
            let cutover = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(cutover.code == 0, "\(cutover.out)\n\(cutover.err)")

            // Without a choice, stage complete refuses to guess what to do with a subscription source.
            try cli.write("sessions.yaml", Self.spec(stage: "complete", whenPrePaid: nil))
            let undecided = try await cli.run(["plan", "-f", cli.path("sessions.yaml")])
            #expect(undecided.out.contains("PrePaid") || undecided.err.contains("PrePaid"), "\(undecided.out)")
            #expect(!undecided.out.contains("TransformInstanceChargeType"))

            try cli.write("sessions.yaml", Self.spec(stage: "complete"))
            let plan = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--dry-run"])
            #expect(plan.out.contains("TransformInstanceChargeType"), "\(plan.out)")
            let complete = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(complete.code == 0, "\(complete.out)\n\(complete.err)")
            let log = try await cloud.callLog()
            let changing = log.compactMap { entry -> String? in
                guard entry["code"] is NSNull || entry["code"] == nil, let action = entry["action"] as? String,
                    (entry["params"] as? [String: Any])?["InstanceId"] as? String == Self.sourceID,
                    ["TransformInstanceChargeType", "DeleteInstance"].contains(action)
                else { return nil }
                return action
            }
            #expect(changing == ["TransformInstanceChargeType", "DeleteInstance"], "\(changing)")
            let transform = log.first { $0["action"] as? String == "TransformInstanceChargeType" }
            #expect((transform?["params"] as? [String: Any])?["ChargeType"] as? String == "PostPaid")
            let instances = try await cloud.state()["instances"] as? [String: Any] ?? [:]
            #expect(instances[Self.sourceID] == nil, "the source is still there")
            #expect(instances[child] != nil)
            let again = try await cli.run(["plan", "-f", cli.path("sessions.yaml"), "--detailed-exitcode"])
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
            cli.expectNoSecrets(
                [AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword],
                in: [sync.out, sync.err, cutover.out, complete.out, complete.err, again.out])
        }
    }
}
