import Foundation
import Testing

/// What kvmove assumes about the real API where the documents are silent (README, "What kvmove assumes
/// about the API"), each with the fake cloud behaving the other way: kvmove stops or copes, and never makes
/// a second target, releases the wrong instance, or waits forever.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunAssumptionTests {
    typealias World = AliyunJourneyTests

    static func groups(_ cloud: FakeCloud) async throws -> [String: [String: Any]] {
        try await cloud.state()["groups"] as? [String: [String: Any]] ?? [:]
    }

    @Test("no minor-version threshold is documented: a conversion refused for its minor version stops, then resumes")
    func conversionRefusedForTheMinorVersion() async throws {
        try await World.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec())
            try await cloud.control(
                "POST", "faults",
                [
                    [
                        "action": "CreateGlobalDistributeCache", "kind": "error", "status": 400,
                        "code": "IncorrectMinorVersion", "times": 1,
                    ]
                ])
            let refused = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(refused.code == 1, "\(refused.out)\n\(refused.err)")
            #expect(refused.out.contains("create-group failed"), "\(refused.out)")
            #expect(refused.out.contains("(aliyun IncorrectMinorVersion)"), "\(refused.out)")
            #expect(refused.out.contains("upgrade it first"), "\(refused.out)")
            #expect(try await Self.groups(cloud).isEmpty)
            #expect(try await World.created(cloud).isEmpty)
            let resumed = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(resumed.code == 0, "\(resumed.out)\n\(resumed.err)")
            #expect(try await Self.groups(cloud).count == 1)
            #expect(try await World.created(cloud).count == 1)
        }
    }

    @Test("RemoveSubInstance refused for a pay-as-you-go member: disconnect fails, nothing is released, data kept")
    func removalRefused() async throws {
        try await World.withWorld { cloud, cli in
            try await cli.apply("orders.yaml", AliyunCLI.spec())
            let child = try #require(try await World.created(cloud).first)
            try await cloud.control(
                "POST", "faults",
                [["action": "RemoveSubInstance", "kind": "error", "status": 403, "code": "ChargeType.NotSupport"]])
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete"))
            let complete = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(complete.code == 1, "\(complete.out)\n\(complete.err)")
            #expect(complete.out.contains("disconnect-sync failed"), "\(complete.out)")
            #expect(complete.out.contains("(aliyun ChargeType.NotSupport)"))
            let instances = try await cloud.state()["instances"] as? [String: Any] ?? [:]
            #expect(instances[World.sourceID] != nil && instances[child] != nil)
            let deletes = try await cloud.callLog().filter { $0["action"] as? String == "DeleteInstance" }
            #expect(deletes.isEmpty)
            let again = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--no-color"])
            #expect(again.out.contains("will leave the group"), "\(again.out)")
        }
    }

    @Test("CreateGlobalDistributeCache without the group id in its answer: the id is read from the source")
    func groupIdReadBackFromTheSource() async throws {
        try await World.withWorld { cloud, cli in
            try await cloud.control("POST", "config", ["gdc_create_returns_id": false])
            try await cli.apply("orders.yaml", AliyunCLI.spec())
            let groups = try await Self.groups(cloud)
            #expect(groups.count == 1)
            let child = try #require(try await World.created(cloud).first)
            #expect(groups.values.first?["members"] as? [String] == [World.sourceID, child])
        }
    }

    @Test("a listing without tags: each target is looked up by its tag, so it is neither missed nor created twice")
    func listingWithoutTags() async throws {
        try await World.withWorld { cloud, cli in
            try await cloud.control("POST", "config", ["tags_in_listing": false])
            try await cli.apply("orders.yaml", AliyunCLI.spec())
            let again = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
            let resumed = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(resumed.code == 0)
            #expect(try await World.created(cloud).count == 1)
            let tagged = try await cloud.callLog().filter {
                $0["action"] as? String == "DescribeInstances"
                    && ($0["params"] as? [String: Any])?["Tag.1.Key"] as? String == "kvmove:migration"
            }
            #expect(!tagged.isEmpty)
        }
    }

    @Test("a child that does not get the source's password: the sentinel check fails at once and says what to do")
    func passwordNotCloned() async throws {
        try await World.withWorld { cloud, cli in
            try await cloud.control("POST", "config", ["clone_password": false])
            try cli.write("orders.yaml", AliyunCLI.spec())
            let started = Date()
            let sync = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(sync.code == 1, "\(sync.out)\n\(sync.err)")
            #expect(Date().timeIntervalSince(started) < 120)
            #expect(sync.out.contains("wait-full-sync failed"), "\(sync.out)")
            #expect(sync.out.contains("(redis WRONGPASS)"), "\(sync.out)")
            #expect(sync.out.contains("with the password in \(AliyunCLI.passwordVariable)"), "\(sync.out)")
            // Resuming does not create a second target.
            _ = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(try await World.created(cloud).count == 1)
            cli.expectNoSecrets([AliyunCLI.sourcePassword, AliyunCLI.accessKeySecret], in: [sync.out, sync.err])
        }
    }

    @Test("a child that does not get the source's whitelist: the spec's groups are set anyway, and a plan shows the rest")
    func whitelistNotCloned() async throws {
        try await World.withWorld { cloud, cli in
            try await cloud.control("POST", "config", ["clone_security_ips": false])
            try await cloud.control(
                "POST", "seed",
                [
                    "instances": [
                        [
                            "InstanceId": "r-bp1e2esource0002", "InstanceName": "orders2", "RegionId": AliyunCLI.region,
                            "ZoneId": "cn-hangzhou-h", "VpcId": "vpc-bp1old0001", "VSwitchId": "vsw-bp1old0001",
                            "InstanceClass": "redis.amber.master.2g.default", "EngineVersion": "5.0",
                            "MinorVersion": "redis-5.0_1.2.0", "LatestMinorVersion": "redis-5.0_1.2.0",
                            "password": AliyunCLI.sourcePassword,
                            "security_ip_groups": [["SecurityIpGroupName": "default", "SecurityIpList": "10.0.0.0/8"]],
                        ] as [String: any Sendable]
                    ]
                ])
            var spec = AliyunCLI.spec(sourceID: "r-bp1e2esource0002")
            spec = spec.replacingOccurrences(
                of: "    instanceName: orders-cache-new\n",
                with: "    instanceName: orders-cache-new\n    securityIps:\n      app: [\(AliyunCLI.appCidr)]\n")
            try cli.write("orders.yaml", spec)
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--no-color"])
            #expect(plan.out.contains("copied from the source when it is created: default = 10.0.0.0/8"), "\(plan.out)")
            let sync = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(sync.code == 0, "\(sync.out)\n\(sync.err)")
            let again = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
            let child = try #require(try await World.created(cloud).first)
            let instances = try await cloud.state()["instances"] as? [String: [String: Any]] ?? [:]
            let names = (instances[child]?["_security_ip_groups"] as? [[String: Any]] ?? []).compactMap {
                $0["SecurityIpGroupName"] as? String
            }
            #expect(Set(names) == ["default", "app"], "\(names)")
        }
    }
}
