import Foundation
import KVMoveCore
import KVMoveSecret
import Testing

@testable import KVMoveAliyun

/// Requests built from planned values, and observation's batching, with a scripted transport (unit level;
/// the fake cloud's end-to-end tests cover the real HTTP path).
@Suite struct AliyunProviderTests {
    /// Answers by action with canned JSON and records every call.
    actor Script: HTTPTransport {
        var calls: [(action: String, url: String)] = []
        let answers: [String: String]

        init(_ answers: [String: String]) { self.answers = answers }

        func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
            let action = request.headers.first { $0.name == "x-acs-action" }?.value ?? ""
            calls.append((action, request.url))
            let body = answers[action] ?? #"{"RequestId":"R"}"#
            return HTTPExchangeResponse(status: 200, body: Array(body.utf8))
        }

        nonisolated func shutdown() async {}
    }

    static let environment = [
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "do-not-print-me",
        "ALIBABA_CLOUD_ENDPOINT_R_KVSTORE": "http://127.0.0.1:1", "ALIBABA_CLOUD_ENDPOINT_VPC": "http://127.0.0.1:1",
    ]

    static func spec(_ name: String, source: String) -> MigrationSpec {
        MigrationSpec(
            name: name, provider: "aliyun", source: SourceSpec(region: "cn-hangzhou", instanceId: source),
            target: TargetSpec(
                region: "cn-hangzhou", zone: "cn-hangzhou-h", vpcId: "vpc-app", vSwitchId: "vsw-app",
                instanceName: "\(name)-new", billing: .prePaid(periodMonths: 1, autoRenew: true)),
            activeActive: GroupSpec(name: "\(name)-aa"), stage: .sync,
            connection: ConnectionSpec(passwordEnv: "REDIS_PASSWORD"))
    }

    static func context(_ name: String = "orders") -> StepContext {
        StepContext(
            migration: name, resources: KnownResources(sourceId: "r-src", groupId: nil, targetId: nil),
            settings: [
                AliyunProvider.sourceRegionSetting: "cn-hangzhou", AliyunProvider.targetRegionSetting: "cn-hangzhou",
            ],
            idempotencyToken: "kvmove-0123456789abcdef")
    }

    static func step(_ kind: StepKind, _ planned: PlannedValues) -> Step {
        Step(migration: "orders", kind: kind, address: "orders.x", resourceType: "instance", planned: planned)
    }

    @Test func createTargetCarriesTheSourceSpecTokenTagsAndBilling() throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let planned = PlannedTarget(
            name: "orders-new", region: "cn-hangzhou", zone: "cn-hangzhou-h", vpcId: "vpc-app", vSwitchId: "vsw-app",
            billing: .prePaid(periodMonths: 1, autoRenew: false),
            instanceClass: "redis.amber.logic.sharding.2g.2db.0rodb.6proxy.multithread",
            engineVersion: "5.0", shardCount: 2, sourceInstanceId: "r-src", groupId: nil,
            tags: [Tags.migration: "orders"])
        let requests = try provider.requests(for: Self.step(.createTarget, .target(planned)), in: Self.context())
        let create = try #require(requests.first)
        #expect(create.action == "CreateInstance")
        #expect(create.effect == .change)
        #expect(create.idempotent)
        #expect(create.text("Token") == "kvmove-0123456789abcdef")
        #expect(create.text("ClientToken") == nil)
        #expect(create.text("InstanceClass") == planned.instanceClass)
        // A classic cluster's class fixes its shards; ShardCount is for cloud-native creates only (SDK model).
        #expect(create.text("ShardCount") == nil)
        #expect(create.text("Tag.2.Key") == "kvmove:group")
        #expect(create.parameters.first { $0.name == "Tag.2.Value" }?.value == .knownAfterApply(.group))
        #expect(create.text("ChargeType") == "PrePaid")
        #expect(create.text("Period") == "1")
        #expect(create.text("AutoPay") == nil)
        #expect(create.text("NetworkType") == "VPC")
        #expect(create.text("Tag.1.Key") == Tags.migration)
        #expect(create.text("Tag.1.Value") == "orders")
        #expect(create.parameters.first { $0.name == "GlobalInstanceId" }?.value == .knownAfterApply(.group))
        #expect(requests.dropFirst().allSatisfy { $0.effect == .read && $0.note != nil })
    }

    @Test func cloudNativeClassesUseCreateTairInstanceWithClientToken() throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let planned = PlannedTarget(
            name: "n", region: "cn-hangzhou", zone: "z", vpcId: "vpc-a", vSwitchId: "vsw-a", billing: .postPaid,
            instanceClass: "tair.rdb.2g", engineVersion: "7.0", shardCount: nil, sourceInstanceId: "r-src",
            groupId: "gr-1", tags: [:])
        let create = try #require(
            try provider.requests(for: Self.step(.createTarget, .target(planned)), in: Self.context()).first)
        #expect(create.action == "CreateTairInstance")
        #expect(create.text("ClientToken") == "kvmove-0123456789abcdef")
        #expect(create.text("Token") == nil)
        #expect(create.text("InstanceType") == "tair_rdb")
        #expect(create.text("NetworkType") == nil)
        #expect(create.text("GlobalInstanceId") == "gr-1")
        #expect(create.text("Tag.1.Key") == "kvmove:group")
        #expect(create.text("Tag.1.Value") == "gr-1")
    }

    @Test func cloudNativeClusterTargetsCarryShardCount() throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let planned = PlannedTarget(
            name: "n", region: "cn-hangzhou", zone: "z", vpcId: "vpc-a", vSwitchId: "vsw-a", billing: .postPaid,
            instanceClass: "tair.rdb.with.proxy.1g", engineVersion: "7.0", shardCount: 4, sourceInstanceId: "r-src",
            groupId: "gr-1", tags: [:])
        let create = try #require(
            try provider.requests(for: Self.step(.createTarget, .target(planned)), in: Self.context()).first)
        #expect(create.text("ShardCount") == "4")
    }

    @Test(arguments: [
        (
            StepKind.upgradeSourceMinorVersion,
            PlannedValues.upgradeMinorVersion(.init(instanceId: "r-src", fromMinorVersion: "1")),
            "ModifyInstanceMinorVersion"
        ),
        (
            .createGroup, .group(.init(name: "aa", seedInstanceId: "r-src", region: "cn-hangzhou", tags: [:])),
            "CreateGlobalDistributeCache"
        ),
        (.disconnectSync, .disconnect(.init(targetInstanceId: "r-tgt", groupId: "gr-1")), "RemoveSubInstance"),
        (.releaseSource, .releaseInstance(.init(instanceId: "r-src", groupId: "gr-1")), "DeleteInstance"),
        (.renameTarget, .rename(.init(instanceId: "r-tgt", name: "new")), "ModifyInstanceAttribute"),
        (.changeTargetBilling, .billing(.init(instanceId: "r-tgt", billing: .postPaid)), "TransformInstanceChargeType"),
    ])
    func everyChangeHasRegionAndAPoll(kind: StepKind, planned: PlannedValues, action: String) throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let requests = try provider.requests(for: Self.step(kind, planned), in: Self.context())
        #expect(requests.first?.action == action)
        #expect(requests.allSatisfy { $0.text("RegionId") == "cn-hangzhou" })
        #expect(requests.last?.effect == .read)
        if action == "ModifyInstanceMinorVersion" || action == "CreateGlobalDistributeCache" {
            #expect(requests.first?.text("EffectiveTime") == "Immediately")
        }
    }

    @Test func prePaidSourceIsConvertedBeforeRelease() throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let requests = try provider.requests(
            for: Self.step(
                .releaseSource, .releaseInstance(.init(instanceId: "r-src", groupId: "gr-1", convertToPostPaid: true))),
            in: Self.context())
        #expect(
            requests.map(\.action) == [
                "TransformInstanceChargeType", "DescribeInstanceAttribute", "DeleteInstance", "DescribeInstances",
            ])
        #expect(requests[0].text("ChargeType") == "PostPaid")
        #expect(requests[2].text("GlobalInstanceId") == "gr-1")
    }

    @Test func dataPlaneRequestsNameThePasswordVariableNotThePassword() throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let planned = PlannedVerification(
            sourceInstanceId: "r-src", targetInstanceId: "r-tgt",
            connection: ConnectionSpec(passwordEnv: "REDIS_PASSWORD", username: "kv", address: .public))
        let request = try #require(
            try provider.requests(for: Self.step(.verifyData, .verification(planned)), in: Self.context()).first)
        #expect(request.service == "redis")
        #expect(request.text("PasswordEnv") == "REDIS_PASSWORD")
        #expect(request.text("Address") == "public")
        #expect(request.text("Username") == "kv")
        #expect(request.text("CommandTimeout") == nil, "no timeout in the spec: the default, no parameter")
        let timed = PlannedVerification(
            sourceInstanceId: "r-src", targetInstanceId: "r-tgt",
            connection: ConnectionSpec(passwordEnv: "REDIS_PASSWORD", commandTimeoutSeconds: 90))
        let timedRequest = try #require(
            try provider.requests(for: Self.step(.verifyData, .verification(timed)), in: Self.context()).first)
        #expect(timedRequest.text("CommandTimeout") == "90s")
    }

    @Test func buildingRequestsMakesNoCall() async throws {
        let script = Script([:])
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: script)
        for (kind, planned) in [
            (
                StepKind.createGroup,
                PlannedValues.group(.init(name: "aa", seedInstanceId: "r-src", region: "cn-hangzhou", tags: [:]))
            ),
            (.releaseGroup, .releaseGroup(.init(groupId: nil, name: "aa"))),
            (.waitFullSync, .fullSync(.init(sourceInstanceId: "r-src", targetInstanceId: nil, groupId: nil))),
        ] {
            _ = try provider.requests(for: Self.step(kind, planned), in: Self.context())
        }
        #expect(await script.calls.isEmpty)
    }

    @Test func observeBatchesAndReadsTheSourceTargetGroupAndNetwork() async throws {
        let instances = """
            {"RequestId":"R1","TotalCount":2,"Instances":{"KVStoreInstance":[
              {"InstanceId":"r-a","InstanceName":"a","RegionId":"cn-hangzhou","ZoneId":"cn-hangzhou-b","VpcId":"vpc-old",
               "VSwitchId":"vsw-old","InstanceStatus":"Normal","InstanceClass":"redis.amber.master.2g","EngineVersion":"5.0",
               "ArchitectureType":"standard","ChargeType":"PostPaid","EditionType":"Enterprise","InstanceType":"Tair",
               "ComputingType":"Machine","GlobalInstanceId":"gr-1","Tags":{"Tag":[]}},
              {"InstanceId":"r-b","InstanceName":"b","RegionId":"cn-hangzhou","ZoneId":"cn-hangzhou-b","VpcId":"vpc-old",
               "VSwitchId":"vsw-old","InstanceStatus":"Normal","InstanceClass":"redis.master.small.default","EngineVersion":"5.0",
               "ArchitectureType":"standard","ChargeType":"PrePaid","EditionType":"Community","InstanceType":"Redis",
               "Tags":{"Tag":[]}},
              {"InstanceId":"r-t","InstanceName":"a-new","RegionId":"cn-hangzhou","ZoneId":"cn-hangzhou-h","VpcId":"vpc-app",
               "VSwitchId":"vsw-app","InstanceStatus":"Normal","InstanceClass":"redis.amber.master.2g","EngineVersion":"5.0",
               "ArchitectureType":"standard","ChargeType":"PrePaid","GlobalInstanceId":"gr-1",
               "Tags":{"Tag":[{"Key":"kvmove:migration","Value":"a"},
                              {"Key":"kvmove:verified","Value":"passed 2026-12-01T10:00:00Z 3 keys match"}]}},
              {"InstanceId":"r-x","InstanceName":"b-new","RegionId":"cn-hangzhou","ZoneId":"cn-hangzhou-h",
               "InstanceStatus":"Normal","InstanceClass":"redis.amber.master.2g","Tags":{"Tag":[]}},
              {"InstanceId":"r-gone","InstanceName":"a-new","RegionId":"cn-hangzhou","InstanceStatus":"Released",
               "Tags":{"Tag":[]}}
            ]}}
            """
        let script = Script([
            "DescribeInstances": instances,
            "DescribeGlobalDistributeCache": """
            {"RequestId":"R2","TotalRecordCount":1,"GlobalDistributeCaches":[{"GlobalInstanceId":"gr-1","Status":"Normal",
             "SubInstances":[{"InstanceID":"r-a","InstanceStatus":"Normal"},{"InstanceID":"r-t","InstanceStatus":"Normal"}]}]}
            """,
            "DescribeVpcs": #"{"TotalCount":1,"Vpcs":{"Vpc":[{"VpcId":"vpc-app","RegionId":"cn-hangzhou"}]}}"#,
            "DescribeVSwitches":
                #"{"TotalCount":1,"VSwitches":{"VSwitch":[{"VSwitchId":"vsw-app","VpcId":"vpc-app","ZoneId":"cn-hangzhou-h"}]}}"#,
            "DescribeEngineVersion":
                #"{"MinorVersion":"redis-5.0_0.5.0","IsLatestVersion":false,"EnableUpgradeMinorVersion":true}"#,
        ])
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: script)
        let seen = try await provider.observe([Self.spec("a", source: "r-a"), Self.spec("b", source: "r-b")])
        let a = try #require(seen["a"])
        #expect(a.source?.id == "r-a")
        #expect(a.source?.syncCapable == false)
        #expect(a.source?.groupIneligibility == nil)
        #expect(a.target?.id == "r-t")
        #expect(a.target?.billing == .prePaid(periodMonths: 1, autoRenew: true))
        #expect(a.group?.id == "gr-1")
        #expect(a.sync?.phase == .synchronized)
        #expect(a.targetVPC?.id == "vpc-app")
        #expect(a.targetVSwitch?.zone == "cn-hangzhou-h")
        #expect(
            a.verification == ObservedVerification(passed: true, at: "2026-12-01T10:00:00Z", summary: "3 keys match"))
        // The target's own name is no conflict, nor is a released instance's.
        #expect(a.nameConflict == nil)
        let b = try #require(seen["b"])
        #expect(b.source?.groupIneligibility?.contains("Community") == true)
        #expect(b.target == nil)
        #expect(b.verification == nil)
        // An instance kvmove did not create for b holds b's target name: the planner refuses it.
        #expect(b.nameConflict?.id == "r-x")
        let actions = await script.calls.map(\.action)
        // One id-list call for both sources, one listing of the target region, one group list, one VPC and one
        // vSwitch list,
        // and one DescribeEngineVersion per source.
        #expect(actions.filter { $0 == "DescribeInstances" }.count == 2)
        #expect(actions.filter { $0 == "DescribeGlobalDistributeCache" }.count == 1)
        #expect(actions.filter { $0 == "DescribeVpcs" }.count == 1)
        #expect(actions.filter { $0 == "DescribeVSwitches" }.count == 1)
        #expect(actions.filter { $0 == "DescribeEngineVersion" }.count == 2)
        let urls = await script.calls.map(\.url).joined(separator: "\n")
        #expect(urls.contains("InstanceIds=r-a%2Cr-b"))
        #expect(!urls.contains("do-not-print-me"))
    }

    @Test(arguments: [
        ("passed 2026-12-01T10:00:00Z 10 keys match", true, "2026-12-01T10:00:00Z", "10 keys match"),
        ("failed 2026-12-01T10:00:00Z", false, "2026-12-01T10:00:00Z", ""),
    ])
    func verificationTagsAreReadBack(value: String, passed: Bool, at: String, summary: String) throws {
        let tag = try #require(VerificationTag(value: value))
        #expect(tag.passed == passed)
        #expect(tag.at == at)
        #expect(tag.summary == summary)
        #expect(VerificationTag(value: tag.value) == tag)
    }

    @Test(arguments: ["", "passed", "ok 2026-12-01T10:00:00Z", "true"])
    func otherTagValuesAreNoVerification(value: String) {
        #expect(VerificationTag(value: value) == nil)
    }

    @Test func verificationTagValuesFitTheCloudsLimit() {
        let long = VerificationTag(
            passed: false, at: "2026-12-01T10:00:00Z", summary: String(repeating: "key differs, ", count: 40))
        #expect(long.value.count == VerificationTag.maxLength)
        #expect(long.value.hasPrefix("failed 2026-12-01T10:00:00Z key differs"))
        let link = VerificationTag(passed: true, at: "t", summary: "see https://example.com")
        #expect(!link.value.contains("://"))
    }

    @Test(arguments: [
        nil, ConnectionSpec(),
        ConnectionSpec(
            passwordEnv: "P", username: "u", address: .public,
            tls: ConnectionTLS(caFile: "/etc/ca.pem", verifyCertificate: false)),
        ConnectionSpec(passwordEnv: "P", commandTimeoutSeconds: 45),
    ])
    func connectionTravelsInPlanSettingsWithoutSecrets(connection: ConnectionSpec?) {
        let settings = AliyunProvider.settings(for: connection)
        #expect(AliyunProvider.connection(from: settings) == connection)
        #expect(!settings.values.contains { $0.contains("hunter") })
    }

    @Test(arguments: [
        (nil, AliyunSite.china), ("", .china), ("china", .china), ("International", .international),
        ("intl", .international),
    ])
    func theSiteComesFromTheEnvironment(value: String?, site: AliyunSite) throws {
        var environment = Self.environment
        environment[AliyunSite.variable] = value
        #expect(try AliyunSite(environment: environment) == site)
        #expect(try AliyunProvider(environment: environment, homeDirectory: nil, transport: Script([:])).site == site)
    }

    @Test func anUnknownSiteIsRefusedWithTheValuesItTakes() {
        #expect {
            try AliyunSite(environment: [AliyunSite.variable: "europe"])
        } throws: { error in
            "\(error)".contains("KVMOVE_ALIYUN_SITE=europe is not a site; set it to china")
        }
    }

    @Test func aPlanMadeForOneSiteIsNotAppliedOnTheOther() throws {
        var environment = Self.environment
        environment[AliyunSite.variable] = "international"
        let provider = try AliyunProvider(environment: environment, homeDirectory: nil, transport: Script([:]))
        var context = Self.context()
        context.settings["site"] = "china"
        let step = Self.step(.renameTarget, .rename(PlannedRename(instanceId: "r-t", name: "n")))
        #expect {
            try provider.requests(for: step, in: context)
        } throws: { error in
            "\(error)".contains("the plan was made for the china site, but KVMOVE_ALIYUN_SITE says international")
        }
        context.settings["site"] = "international"
        #expect(try provider.requests(for: step, in: context).first?.action == "ModifyInstanceAttribute")
    }

    @Test func theInternationalSiteRefusesTheChinaOnlyStepsAndNamesTheConsoleStep() throws {
        var environment = Self.environment
        environment[AliyunSite.variable] = "international"
        let international = try AliyunProvider(environment: environment, homeDirectory: nil, transport: Script([:]))
        let china = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let json = JSONValue.object([
            "InstanceId": .string("r-src"), "InstanceClass": .string("redis.amber.master.2g.default"),
            "GlobalInstanceId": .string("gr-1"),
        ])
        let source = try #require(AliyunInstance(json))
        #expect(china.unsupportedSteps(source: source, target: nil).isEmpty)
        let steps = international.unsupportedSteps(source: source, target: nil)
        #expect(steps["create-target"]?.message.contains("Add Child Instance") == true)
        #expect(steps["create-target"]?.specPath == "spec.provider")
        // Releasing a member has a documented path on the international site: RemoveSubInstance, then DeleteInstance.
        #expect(steps["release-source"] == nil)
        let release = Self.step(
            .releaseSource, .releaseInstance(PlannedInstanceRelease(instanceId: "r-src", groupId: "gr-1")))
        var context = Self.context()
        context.settings["site"] = "international"
        #expect(
            try international.requests(for: release, in: context).map(\.action) == [
                "RemoveSubInstance", "DescribeGlobalDistributeCache", "DeleteInstance", "DescribeInstances",
            ])
        #expect(try international.requests(for: release, in: context)[2].text("GlobalInstanceId") == nil)
        #expect(
            try china.requests(for: release, in: Self.context()).map(\.action) == [
                "DeleteInstance", "DescribeInstances",
            ])
        #expect(try china.requests(for: release, in: Self.context())[0].text("GlobalInstanceId") == "gr-1")
    }

    @Test func whitelistGroupsAreSetOneCallEachWithCover() throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: Script([:]))
        let planned = PlannedSecurityIps(
            instanceId: nil, groups: ["app": ["172.16.0.0/24", "10.0.0.1"], "batch": ["10.9.0.0/16"]])
        let requests = try provider.requests(
            for: Self.step(.setTargetSecurityIps, .securityIps(planned)), in: Self.context())
        #expect(requests.map(\.action) == ["ModifySecurityIps", "ModifySecurityIps"])
        let app = try #require(requests.first)
        #expect(app.effect == .change && app.idempotent)
        #expect(app.text("RegionId") == "cn-hangzhou")
        #expect(app.parameters.first { $0.name == "InstanceId" }?.value == .knownAfterApply(.target))
        #expect(app.text("SecurityIpGroupName") == "app")
        #expect(app.text("SecurityIps") == "172.16.0.0/24,10.0.0.1")
        #expect(app.text("ModifyMode") == "Cover")
        #expect(requests.last?.text("SecurityIpGroupName") == "batch")
    }

    @Test func whitelistGroupsAreReadFromTheirCommaSeparatedList() throws {
        let json = try JSONValue.parse(
            Array(
                #"""
                {"RequestId":"R","SecurityIpGroups":{"SecurityIpGroup":[
                  {"SecurityIpGroupName":"default","SecurityIpList":"127.0.0.1","SecurityIpGroupAttribute":""},
                  {"SecurityIpGroupName":"app","SecurityIpList":"172.16.0.0/24, 10.0.0.1","SecurityIpGroupAttribute":""},
                  {"SecurityIpGroupName":"empty","SecurityIpList":""}]}}
                """#.utf8))
        #expect(
            AliyunProvider.securityIpGroups(json) == [
                "default": ["127.0.0.1"], "app": ["172.16.0.0/24", "10.0.0.1"], "empty": [],
            ])
    }

    /// Answers every call with one error.
    actor Failing: HTTPTransport {
        let status: Int
        let code: String

        init(status: Int, code: String) {
            self.status = status
            self.code = code
        }

        func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
            let body = #"{"RequestId":"R","Code":"\#(code)","Message":"m"}"#
            return HTTPExchangeResponse(status: status, body: Array(body.utf8))
        }

        nonisolated func shutdown() async {}
    }

    @Test(arguments: [
        ("InvalidInstanceId.NotFound", true), ("InvalidDbInstanceId.NotFound", true), ("DBInstanceNotFound", true),
        ("InvalidAccessKeyId.NotFound", false), ("InvalidVPCId.NotFound", false),
        ("InvalidAccountName.NotFound", false),
    ])
    func onlyAnInstancesNotFoundCodesMeanGone(code: String, gone: Bool) async throws {
        let provider = try AliyunProvider(
            environment: Self.environment, homeDirectory: nil, transport: Failing(status: 404, code: code))
        do {
            let found = try await provider.instance("r-x", region: "cn-hangzhou")
            #expect(gone && found == nil, "\(code) was read as gone")
        } catch {
            #expect(!gone, "\(code) should mean the instance is gone")
            #expect(error.code == code)
        }
    }

    @Test(arguments: [("InvalidGlobalInstanceId.NotFound", true), ("InvalidAccessKeyId.NotFound", false)])
    func onlyAGroupsNotFoundCodesMeanGone(code: String, gone: Bool) async throws {
        let provider = try AliyunProvider(
            environment: Self.environment, homeDirectory: nil, transport: Failing(status: 404, code: code))
        do {
            let found = try await provider.group("gr-x", region: "cn-hangzhou")
            #expect(gone && found == nil)
        } catch {
            #expect(!gone)
        }
    }

    @Test("a region without a listed VPC endpoint is said once, on the first migration, when VPC endpoints are on")
    func publicFallbackIsSaidOnce() async throws {
        let environment = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "do-not-print-me",
            "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
        ]
        let script = Script([:])
        let provider = try AliyunProvider(environment: environment, homeDirectory: nil, transport: script)
        func spec(_ name: String) -> MigrationSpec {
            var spec = Self.spec(name, source: "r-\(name)")
            spec.source.region = "eu-central-1"
            spec.target.region = "eu-central-1"
            return spec
        }
        let seen = try await provider.observe([spec("b"), spec("a")])
        #expect(seen["a"]?.notes.count == 2)
        #expect(seen["a"]?.notes.first?.contains("no VPC endpoint of r-kvstore in eu-central-1") == true)
        #expect(seen["b"]?.notes.isEmpty == true)
        // The calls themselves went to the public hosts.
        let urls = await script.calls.map(\.url)
        #expect(
            urls.allSatisfy {
                $0.hasPrefix("https://r-kvstore.eu-central-1.") || $0.hasPrefix("https://vpc.eu-central-1.")
            })
    }

    /// Throttles the first call, then answers as `Script` would.
    actor ThrottleOnce: HTTPTransport {
        var throttled = false

        func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
            if !throttled {
                throttled = true
                let body = #"{"RequestId":"R0","Code":"Throttling.User","Message":"slow down"}"#
                return HTTPExchangeResponse(status: 400, headers: [("x-acs-retry-after", "10")], body: Array(body.utf8))
            }
            return HTTPExchangeResponse(status: 200, body: Array(#"{"RequestId":"R1"}"#.utf8))
        }

        nonisolated func shutdown() async {}
    }

    @Test("a retried read that cannot be journaled fails the step instead of going on unrecorded")
    func unjournaledRetriesFailTheStep() async throws {
        let provider = try AliyunProvider(environment: Self.environment, homeDirectory: nil, transport: ThrottleOnce())
        let base = Self.context()
        let context = StepContext(
            migration: base.migration, resources: base.resources, settings: base.settings,
            idempotencyToken: base.idempotencyToken,
            operation: { entry in
                // Only the retried read's entry fails: the step's own entries are written.
                if entry.hasPrefix("retried") { throw JournalNotWritten(migration: "orders", underlying: "disk full") }
            })
        let step = Self.step(.renameTarget, .rename(PlannedRename(instanceId: "r-t", name: "n")))
        let request = try #require(try provider.requests(for: step, in: context).first)
        await #expect(throws: JournalNotWritten.self) {
            _ = try await provider.send(request, for: step, in: context)
        }
    }
}
