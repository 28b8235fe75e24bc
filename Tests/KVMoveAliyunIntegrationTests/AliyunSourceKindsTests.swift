import Foundation
import Testing

/// A cloud-native (`tair.rdb.*`, `ComputingType` `Ecs`) source is refused at plan time: the conversion into a
/// distributed instance is classic-only. A classic PrePaid cluster source goes through all three stages instead:
/// the target is bought PrePaid, and at `complete` the source is converted to pay-as-you-go
/// (`TransformInstanceChargeType`) before it is released.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunSourceKindsTests {
    static let sourceID = "r-bp1tairsource001"
    static let clusterID = "r-bp1amberclust001"

    static func spec(
        stage: String, source: String = sourceID, whenPrePaid: String? = "convertToPostPaid",
        billing: String = "type: PostPaid"
    ) -> String {
        var text = AliyunCLI.spec(name: "sessions", sourceID: source, stage: stage)
        if let whenPrePaid {
            text = text.replacingOccurrences(
                of: "    instanceId: \(source)\n",
                with: "    instanceId: \(source)\n    whenPrePaid: \(whenPrePaid)\n")
        }
        return text.replacingOccurrences(of: "      type: PostPaid", with: "      " + billing)
    }

    @Test("a cloud-native source is refused at plan time, saying why and what to do; nothing is called that changes")
    func cloudNativeSourceIsRefused() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try await cloud.control(
                "POST", "seed",
                [
                    "instances": [
                        [
                            "InstanceId": Self.sourceID, "InstanceName": "sessions", "RegionId": AliyunCLI.region,
                            "ZoneId": "cn-hangzhou-h", "VpcId": "vpc-bp1old0001", "VSwitchId": "vsw-bp1old0001",
                            "InstanceClass": "tair.rdb.2g", "EngineVersion": "7.0", "InstanceType": "tair_rdb",
                            "EditionType": "Enterprise", "ComputingType": "Ecs", "ChargeType": "PostPaid",
                            "MinorVersion": "redis-7.0_1.0.0", "LatestMinorVersion": "redis-7.0_1.0.0",
                            "password": AliyunCLI.sourcePassword,
                        ] as [String: any Sendable]
                    ]
                ])
            try cli.write("sessions.yaml", Self.spec(stage: "sync"))
            try await cloud.resetCalls()
            let plan = try await cli.run(["plan", "-f", cli.path("sessions.yaml")])
            #expect(plan.code == 1, "\(plan.out)\n\(plan.err)")
            #expect(plan.err.contains("sessions.yaml:9:17: error: migration \"sessions\": source r-bp1tairsource001 is a cloud-native instance"), "\(plan.err)")
            #expect(plan.err.contains("CreateGlobalDistributeCache converts only a classic (local-disk) Tair DRAM-based instance"))
            #expect(plan.err.contains("Move it with DTS"), "\(plan.err)")
            let apply = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(apply.code == 1)
            let actions = try await cloud.callLog().compactMap { $0["action"] as? String }
            #expect(actions.allSatisfy { $0.hasPrefix("Describe") }, "\(actions)")
            #expect(try await AliyunJourneyTests.created(cloud).isEmpty)
        }
    }

    @Test("a classic PrePaid cluster: a PrePaid target without ShardCount, then the source converted and released")
    func classicPrePaidClusterSource() async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            try await cloud.control(
                "POST", "seed",
                [
                    "instances": [
                        [
                            "InstanceId": Self.clusterID, "InstanceName": "sessions", "RegionId": AliyunCLI.region,
                            "ZoneId": "cn-hangzhou-h", "VpcId": "vpc-bp1old0001", "VSwitchId": "vsw-bp1old0001",
                            "InstanceClass": "redis.amber.logic.sharding.2g.2db.0rodb.6proxy.multithread",
                            "ArchitectureType": "cluster", "ShardCount": 2, "EngineVersion": "5.0",
                            "InstanceType": "Tair", "EditionType": "Enterprise", "ComputingType": "Machine",
                            "ChargeType": "PrePaid", "MinorVersion": "redis-5.0_1.2.0",
                            "LatestMinorVersion": "redis-5.0_1.2.0",
                            "password": AliyunCLI.sourcePassword,
                        ] as [String: any Sendable]
                    ]
                ])
            let sourcePort = try await AliyunJourneyTests.port(of: Self.clusterID, in: cloud)
            _ = try await RedisCommand.send(
                port: sourcePort, password: AliyunCLI.sourcePassword, ["SET", "session:1", "alice"])
            // A lost answer after the cloud carried the create out: the retry finds the tagged instance and does not
            // create again (a resend would carry the same Token).
            try await cloud.control(
                "POST", "faults", [["action": "CreateInstance", "kind": "after_error"]])
            let prePaid = "type: PrePaid\n      periodMonths: 12\n      autoRenew: true"

            try cli.write("sessions.yaml", Self.spec(stage: "sync", source: Self.clusterID, billing: prePaid))
            let sync = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(sync.code == 0, "\(sync.out)\n\(sync.err)")
            let created = try await cloud.state()["created"] as? [[String: Any]] ?? []
            #expect(created.count == 1, "\(created)")
            #expect(created.first?["action"] as? String == "CreateInstance")
            let child = try #require(created.first?["InstanceId"] as? String)
            let creates = try await cloud.callLog().filter { $0["action"] as? String == "CreateInstance" }
            #expect(creates.count == 1, "\(creates)")
            let params = creates.first?["params"] as? [String: Any] ?? [:]
            #expect((params["Token"] as? String)?.isEmpty == false, "\(params)")
            #expect(params["InstanceClass"] as? String == "redis.amber.logic.sharding.2g.2db.0rodb.6proxy.multithread")
            #expect(params["ChargeType"] as? String == "PrePaid")
            #expect(params["Period"] as? String == "12")
            #expect(params["AutoRenew"] as? String == "true")
            #expect(params["AutoRenewPeriod"] as? String == "1")
            // The class fixes a classic cluster's shards; CreateInstance has no AutoPay.
            #expect(params["ShardCount"] == nil && params["AutoPay"] == nil && params["ClientToken"] == nil)
            #expect(params["Tag.2.Key"] as? String == "kvmove:group")
            // A cluster source's direct connection is checked while planning.
            #expect(try await cloud.callLog().contains { $0["action"] as? String == "DescribeDBInstanceNetInfo" })
            let childPort = try await AliyunJourneyTests.port(of: child, in: cloud)
            #expect(
                try await RedisCommand.send(port: childPort, password: AliyunCLI.sourcePassword, ["GET", "session:1"])
                    == "alice")

            try cli.write("sessions.yaml", Self.spec(stage: "cutover", source: Self.clusterID, billing: prePaid))
            let cutover = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(cutover.code == 0, "\(cutover.out)\n\(cutover.err)")

            // Without a choice, stage complete refuses to guess what to do with a subscription source.
            try cli.write(
                "sessions.yaml", Self.spec(stage: "complete", source: Self.clusterID, whenPrePaid: nil, billing: prePaid))
            let undecided = try await cli.run(["plan", "-f", cli.path("sessions.yaml")])
            #expect(undecided.out.contains("PrePaid") || undecided.err.contains("PrePaid"), "\(undecided.out)")
            #expect(!undecided.out.contains("TransformInstanceChargeType"))

            try cli.write("sessions.yaml", Self.spec(stage: "complete", source: Self.clusterID, billing: prePaid))
            let plan = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--dry-run"])
            #expect(plan.out.contains("TransformInstanceChargeType"), "\(plan.out)")
            let complete = try await cli.run(["apply", "-f", cli.path("sessions.yaml"), "--auto-approve"])
            #expect(complete.code == 0, "\(complete.out)\n\(complete.err)")
            let log = try await cloud.callLog()
            let changing = log.compactMap { entry -> String? in
                guard entry["code"] is NSNull || entry["code"] == nil, let action = entry["action"] as? String,
                    (entry["params"] as? [String: Any])?["InstanceId"] as? String == Self.clusterID,
                    ["TransformInstanceChargeType", "DeleteInstance"].contains(action)
                else { return nil }
                return action
            }
            #expect(changing == ["TransformInstanceChargeType", "DeleteInstance"], "\(changing)")
            let transform = log.first { $0["action"] as? String == "TransformInstanceChargeType" }
            #expect((transform?["params"] as? [String: Any])?["ChargeType"] as? String == "PostPaid")
            let instances = try await cloud.state()["instances"] as? [String: Any] ?? [:]
            #expect(instances[Self.clusterID] == nil, "the source is still there")
            #expect(instances[child] != nil)
            let again = try await cli.run(["plan", "-f", cli.path("sessions.yaml"), "--detailed-exitcode"])
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
            cli.expectNoSecrets(
                [AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword],
                in: [sync.out, sync.err, cutover.out, complete.out, complete.err, again.out])
        }
    }
}
