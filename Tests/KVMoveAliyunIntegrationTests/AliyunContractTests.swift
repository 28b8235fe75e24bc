import Foundation
import KVMoveAliyun
import KVMoveCore
import Testing

/// kvmove's requests and the answer fields it reads, held against the official SDKs' own models
/// (`Tests/FakeCloud/contract_check.py`, which asks `alibabacloud-r-kvstore20150101`, `…vpc20160428`
/// and `…sts20150401` themselves).
///
/// Every request each step kind can send is built from planned values here, for classic and cloud-native,
/// standard and cluster, PostPaid and PrePaid targets and sources, each `whenPrePaid`, with ids known
/// and known only after apply. The calls made while planning and inside apply (observation, pre-checks,
/// polls, retries, STS) are checked by the fake cloud itself, which refuses any request the SDK would
/// not send and answers only with fields the SDK's models have; every Aliyun integration test runs
/// through it and fails on a recorded violation (``FakeCloud/stop()``).
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunContractTests {
    static let groupId = "gr-bp1contract0001"
    static let targetId = "r-bp1contracttarget1"

    /// One request as the checker takes it.
    struct Checked: Encodable {
        var version: String
        var action: String
        var params: [[String]]
        var origin: String
    }

    /// A read path as the checker takes it.
    struct Read: Encodable {
        var version: String
        var action: String
        var path: String
        var type: String
        var origin: String
    }

    struct Input: Encodable {
        var requests: [Checked]
        var reads: [Read]
    }

    /// The checker's report.
    struct Report: Decodable {
        struct Violation: Decodable {
            var origin: String?
            var action: String?
            var message: String
        }

        var checked_requests: Int
        var checked_reads: Int
        var distinct_actions: [String]
        var violations: [Violation]
    }

    static let classes: [(label: String, instanceClass: String, shards: Int?)] = [
        ("classic standard", "redis.amber.master.2g.default", nil),
        ("classic cluster", "redis.amber.logic.sharding.2g.2db.0rodb.6proxy.multithread", 2),
        ("cloud-native standard", "tair.rdb.2g", nil),
        ("cloud-native cluster", "tair.rdb.with.proxy.1g", 4),
    ]

    static let billings: [Billing] = [
        .postPaid, .prePaid(periodMonths: 1, autoRenew: false), .prePaid(periodMonths: 12, autoRenew: true),
        .prePaid(periodMonths: 36, autoRenew: false), .prePaid(periodMonths: 60, autoRenew: true),
    ]

    static let connections: [ConnectionSpec?] = [
        nil, ConnectionSpec(passwordEnv: "P", address: .private),
        ConnectionSpec(passwordEnv: "P", address: .public, tls: ConnectionTLS(caFile: "/ca.pem", verifyCertificate: true)),
    ]

    /// Every step of the matrix, with a label saying which variant it is.
    static func steps() -> [(String, StepKind, PlannedValues)] {
        var steps: [(String, StepKind, PlannedValues)] = [
            (
                "upgrade", .upgradeSourceMinorVersion,
                .upgradeMinorVersion(PlannedMinorVersionUpgrade(instanceId: "r-bp1source", fromMinorVersion: "1.0.0"))
            ),
            (
                "group", .createGroup,
                .group(PlannedGroup(name: "g", seedInstanceId: "r-bp1source", region: "cn-hangzhou", tags: [:]))
            ),
            ("rename", .renameTarget, .rename(PlannedRename(instanceId: targetId, name: "orders-new"))),
            ("disconnect", .disconnectSync, .disconnect(PlannedDisconnect(targetInstanceId: targetId, groupId: groupId))),
            (
                "disconnect, ids after apply", .disconnectSync,
                .disconnect(PlannedDisconnect(targetInstanceId: nil, groupId: nil))
            ),
            ("release group", .releaseGroup, .releaseGroup(PlannedGroupRelease(groupId: nil, name: "g"))),
            (
                "whitelist groups", .setTargetSecurityIps,
                .securityIps(
                    PlannedSecurityIps(instanceId: nil, groups: ["app": ["172.16.0.0/24", "10.0.0.1"], "ops": ["1.2.3.4"]]))
            ),
        ]
        for (label, instanceClass, shards) in classes {
            for billing in billings {
                for group in [groupId, nil] as [String?] {
                    let planned = PlannedTarget(
                        name: "orders-new", region: "cn-hangzhou", zone: "cn-hangzhou-k", vpcId: "vpc-bp1app",
                        vSwitchId: "vsw-bp1app", billing: billing, instanceClass: instanceClass, engineVersion: "7.0",
                        shardCount: shards, sourceInstanceId: "r-bp1source", groupId: group,
                        tags: [Tags.migration: "orders"])
                    steps.append(
                        ("target \(label) \(billing.summary) group \(group ?? "after apply")", .createTarget,
                        .target(planned)))
                }
            }
        }
        for billing in billings where billing.months.map(Billing.changePeriods.contains) ?? true {
            steps.append(
                ("billing \(billing.summary)", .changeTargetBilling,
                .billing(PlannedBillingChange(instanceId: targetId, billing: billing))))
        }
        for convert in [true, nil] as [Bool?] {
            for group in [groupId, nil] as [String?] {
                steps.append(
                    (
                        "release source convert=\(convert.map(String.init) ?? "no") group=\(group ?? "none")",
                        .releaseSource,
                        .releaseInstance(
                            PlannedInstanceRelease(instanceId: "r-bp1source", groupId: group, convertToPostPaid: convert))
                    ))
            }
        }
        for connection in connections {
            let tls = connection?.tls == nil ? "plain" : "TLS"
            steps += [
                (
                    "full sync \(tls)", .waitFullSync,
                    .fullSync(
                        PlannedFullSync(
                            sourceInstanceId: "r-bp1source", targetInstanceId: nil, groupId: nil, connection: connection))
                ),
                (
                    "verify \(tls)", .verifyData,
                    .verification(
                        PlannedVerification(sourceInstanceId: "r-bp1source", targetInstanceId: targetId, connection: connection))
                ),
                (
                    "gates \(tls)", .checkCutoverGates,
                    .gates(
                        PlannedGates(
                            sourceInstanceId: "r-bp1source", targetInstanceId: targetId, requireIdleSourceSeconds: 30,
                            maxLagSeconds: 1, requireNoSourceWritesSeconds: nil, connection: connection))
                ),
            ]
        }
        return steps
    }

    /// The API requests of every step of the matrix, on both sites, with ids known after apply filled in.
    static func matrix() throws -> [Checked] {
        let resources = KnownResources(sourceId: "r-bp1source", groupId: groupId, targetId: targetId)
        var checked: [Checked] = []
        for site in AliyunSite.allCases {
            let provider = try AliyunProvider(
                environment: [
                    "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
                    AliyunSite.variable: site.rawValue,
                ], homeDirectory: nil)
            defer { Task { await provider.shutdown() } }
            for (label, kind, planned) in steps() {
                let step = Step(migration: "orders", kind: kind, address: "orders.x", resourceType: "instance", planned: planned)
                let context = StepContext(
                    migration: "orders", resources: KnownResources(sourceId: "r-bp1source", groupId: nil, targetId: nil),
                    settings: ["sourceRegion": "cn-hangzhou", "targetRegion": "cn-hangzhou", "site": site.rawValue],
                    idempotencyToken: "kvmove-0123456789abcdef")
                for request in try provider.requests(for: step, in: context) where request.service != "redis" {
                    let resolved = try request.resolved(with: resources)
                    let params = resolved.parameters.compactMap { parameter -> [String]? in
                        switch parameter.value {
                        case .text(let text): [parameter.name, text]
                        case .secret: [parameter.name, "secret"]
                        case .knownAfterApply: nil
                        }
                    }
                    checked.append(
                        Checked(
                            version: version(resolved.service), action: resolved.action, params: params,
                            origin: "\(site.rawValue) \(label)"))
                }
            }
        }
        return checked
    }

    static func version(_ service: String) -> String {
        Endpoints.Service(rawValue: service)?.version ?? "unknown service \(service)"
    }

    /// Runs the checker on `input`.
    static func check(_ input: Input) throws -> (code: Int32, report: Report?, err: String) {
        let python = try PythonTooling.require()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-contract-\(UUID().uuidString).json")
        try JSONEncoder().encode(input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try ProcessRun.run(
            python, [PythonTooling.fakeCloudDirectory.appendingPathComponent("contract_check.py").path, file.path])
        return (result.code, try? JSONDecoder().decode(Report.self, from: Data(result.out.utf8)), result.err)
    }

    @Test("every request every step kind can send is one the official SDK sends, with its types and required fields")
    func everyStepsRequestsMatchTheSDK() throws {
        let requests = try Self.matrix()
        let (code, report, err) = try Self.check(Input(requests: requests, reads: []))
        #expect(code == 0, "\(err)")
        let found = try #require(report, "the checker printed no report: \(err)")
        #expect(found.violations.isEmpty, "\(found.violations.map(\.message).joined(separator: "\n"))")
        #expect(found.checked_requests == requests.count)
        print("CONTRACT: \(found.checked_requests) requests of \(found.distinct_actions.count) actions checked")
        #expect(
            Set(found.distinct_actions).isSuperset(of: [
                "ModifyInstanceMinorVersion", "CreateGlobalDistributeCache", "CreateInstance", "CreateTairInstance",
                "ModifyInstanceAttribute", "TransformInstanceChargeType", "RemoveSubInstance", "DeleteInstance",
                "ModifySecurityIps", "DescribeInstanceAttribute", "DescribeGlobalDistributeCache", "DescribeInstances",
            ]), "\(found.distinct_actions)")
    }

    @Test("every answer field the provider reads is in the SDK's response model, with its nesting and type")
    func everyReadPathIsInTheSDKModels() throws {
        let reads = ResponseFields.all.map {
            Read(version: $0.service.version, action: $0.action, path: $0.path, type: $0.type, origin: "ResponseFields")
        }
        let (code, report, err) = try Self.check(Input(requests: [], reads: reads))
        #expect(code == 0, "\(err)")
        let found = try #require(report, "the checker printed no report: \(err)")
        #expect(found.violations.isEmpty, "\(found.violations.map(\.message).joined(separator: "\n"))")
        #expect(found.checked_reads == reads.count)
    }

    @Test("examples/aliyun/ram-policy.json allows every R-KVStore and VPC action kvmove calls")
    func theRAMPolicyCoversEveryAction() throws {
        let url = PythonTooling.repositoryRoot.appendingPathComponent("examples/aliyun/ram-policy.json")
        let policy = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let allowed = Set(
            (policy?["Statement"] as? [[String: Any]] ?? []).flatMap { $0["Action"] as? [String] ?? [] })
        // CreateTairInstance is built for cloud-native targets, which the plan never reaches (a cloud-native
        // source is refused); STS actions are allowed by the role's trust policy, not by this one.
        var called = Set(try Self.matrix().map(\.action))
        called.formUnion(ResponseFields.all.filter { $0.service != .sts }.map(\.action))
        called.insert("TagResources")
        called.remove("CreateTairInstance")
        let prefixed = Set(
            called.map { action in
                (ResponseFields.all.first { $0.action == action }?.service == .vpc ? "vpc:" : "kvstore:") + action
            })
        #expect(prefixed.subtracting(allowed).isEmpty, "missing from ram-policy.json: \(prefixed.subtracting(allowed).sorted())")
        #expect(allowed.subtracting(prefixed).isEmpty, "not called: \(allowed.subtracting(prefixed).sorted())")
    }

    @Test("the check fails on a misspelled, invented or mistyped parameter and on a wrong read path")
    func theCheckCanFail() throws {
        let requests = try Self.matrix()
        let upgrade = try #require(requests.first { $0.action == "ModifyInstanceMinorVersion" })
        var misspelled = upgrade
        misspelled.params = upgrade.params.map { $0[0] == "Minorversion" ? ["MinorVersion", $0[1]] : $0 }
        misspelled.origin = "misspelled"
        var invented = upgrade
        invented.params.append(["UpgradeNow", "true"])
        invented.origin = "invented"
        let transform = try #require(requests.first { $0.action == "TransformInstanceChargeType" && $0.params.contains { $0[0] == "Period" } })
        var mistyped = transform
        mistyped.params = transform.params.map { $0[0] == "Period" ? ["Period", "twelve"] : $0 }
        mistyped.origin = "mistyped"
        let tag = Read(
            version: "2015-01-01", action: "DescribeInstances", path: "Instances.KVStoreInstance[].Tag[].Key",
            type: "string", origin: "wrong nesting")
        let (code, report, _) = try Self.check(Input(requests: [misspelled, invented, mistyped], reads: [tag]))
        #expect(code == 1)
        let messages = (report?.violations ?? []).map { "\($0.origin ?? ""): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("misspelled") && $0.contains("MinorVersion") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("invented") && $0.contains("UpgradeNow") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("mistyped") && $0.contains("Period") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("wrong nesting") }, "\(messages)")
    }
}

extension Billing {
    /// The period of a PrePaid billing; nil for PostPaid.
    fileprivate var months: Int? {
        if case .prePaid(let months, _) = self { return months }
        return nil
    }
}
