import Foundation
import KVMoveAliyun
import Testing

/// The provider against a fake cloud that behaves as the official SDKs define: the nine places where the
/// provider and the SDKs disagreed, each shown fixed, and whitelists for the new VPC.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunAPIFidelityTests {
    typealias World = AliyunJourneyTests

    /// The spec with `billing` (the YAML under `billing:`) and extra lines under `target:`.
    static func spec(stage: String = "sync", billing: String = "type: PostPaid", target: String = "") -> String {
        AliyunCLI.spec(stage: stage)
            .replacingOccurrences(of: "      type: PostPaid", with: "      " + billing)
            .replacingOccurrences(of: "    instanceName: orders-cache-new\n", with: "    instanceName: orders-cache-new\n" + target)
    }

    @Test("(1) x-acs-retry-after is milliseconds: a throttled answer with 400 costs 0.4 s, not 400 s")
    func retryAfterIsMilliseconds() async throws {
        try await World.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete"))
            try await cloud.control(
                "POST", "faults",
                [
                    ["action": "DescribeInstances", "kind": "throttle", "retry_after": "400", "times": 1],
                    ["action": "DescribeEngineVersion", "kind": "throttle", "retry_after": "400", "times": 1],
                ])
            let started = Date()
            let result = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--dry-run"])
            let elapsed = Date().timeIntervalSince(started)
            #expect(result.code == 0, "\(result.out)\n\(result.err)")
            // The hint read as seconds made this wait more than 180 s; milliseconds, it is the fake's own pace.
            #expect(elapsed < 60, "dry-run took \(elapsed) s")
            let answers = try await cloud.callLog().filter { $0["action"] as? String == "DescribeInstances" }
                .map { $0["code"] as? String ?? "200" }
            #expect(answers.first == "Throttling.User" || answers.first == "Throttling", "\(answers)")
        }
    }

    @Test("(6) an unknown or disabled access key fails plan, naming the key and where it came from")
    func refusedCredentialsAreNamed() async throws {
        try await World.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec())
            let unknown = try await cli.run(
                ["plan", "-f", cli.path("orders.yaml")],
                environment: ["ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tNoSuchKey00000"])
            #expect(unknown.code == 1, "\(unknown.out)\n\(unknown.err)")
            #expect(unknown.err.contains("(aliyun InvalidAccessKeyId.NotFound)"), "\(unknown.err)")
            #expect(
                unknown.err.contains(
                    "credentials: access key LTAI5tNoSuchKey00000 from environment (ALIBABA_CLOUD_ACCESS_KEY_ID)"),
                "\(unknown.err)")
            #expect(!unknown.out.contains("create-target"))
            try await cloud.control(
                "POST", "seed", ["disabled_access_keys": ["LTAI5tDisabledKey001": "disabled-Secret-1"]])
            let disabled = try await cli.run(
                ["plan", "-f", cli.path("orders.yaml")],
                environment: [
                    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tDisabledKey001",
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "disabled-Secret-1",
                ])
            #expect(disabled.code == 1)
            #expect(disabled.err.contains("(aliyun InvalidAccessKeyId.Inactive)"), "\(disabled.err)")
            #expect(disabled.err.contains("access key LTAI5tDisabledKey001 from environment"), "\(disabled.err)")
            cli.expectNoSecrets(["disabled-Secret-1", AliyunCLI.accessKeySecret], in: [unknown.err, disabled.err])
        }
    }

    @Test("(6) an authentication error inside a step is a failure, never \"already released\"")
    func authenticationErrorsAreNotNotFound() async throws {
        try await World.withWorld { cloud, cli in
            try await cli.apply("orders.yaml", AliyunCLI.spec(stage: "cutover"))
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete"))
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "-out", cli.path("complete.plan")])
            #expect(plan.code == 0, "\(plan.out)\n\(plan.err)")
            // The release's own check of the source answers as an unknown key would (HTTP 404, a "NotFound" code).
            try await cloud.control(
                "POST", "faults",
                [
                    [
                        "action": "DescribeInstanceAttribute", "kind": "error", "status": 404,
                        "code": "InvalidAccessKeyId.NotFound", "times": 1,
                    ]
                ])
            let complete = try await cli.run(["apply", cli.path("complete.plan"), "--auto-approve"])
            #expect(complete.code == 1, "\(complete.out)\n\(complete.err)")
            #expect((complete.out + complete.err).contains("InvalidAccessKeyId.NotFound"))
            #expect(!(complete.out + complete.err).contains("already released"), "\(complete.out)")
            let instances = try await cloud.state()["instances"] as? [String: Any] ?? [:]
            #expect(instances[World.sourceID] != nil, "the source was released after all")
            let deletes = try await cloud.callLog().filter { $0["action"] as? String == "DeleteInstance" }
            #expect(deletes.isEmpty, "\(deletes)")
        }
    }

    @Test("(4) a group the cloud keeps after its last member left: a bounded wait, a warning, and later plans say so")
    func lingeringGroupEndsWithAWarning() async throws {
        try await World.withWorld { cloud, cli in
            try await cloud.control("POST", "config", ["auto_release_empty_group": false])
            let wait = [AliyunProvider.groupReleaseWaitVariable: "2"]
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete"))
            let started = Date()
            let complete = try await cli.run(
                ["apply", "-f", cli.path("orders.yaml"), "--auto-approve"], environment: wait)
            #expect(complete.code == 0, "\(complete.out)\n\(complete.err)")
            #expect(Date().timeIntervalSince(started) < 120)
            let groups = try await cloud.state()["groups"] as? [String: [String: Any]] ?? [:]
            let group = try #require(groups.keys.first, "the fake released the group after all")
            let note = "distributed instance \(group) is still listed with no members"
            #expect(complete.err.contains(note), "\(complete.out)\n\(complete.err)")
            #expect(complete.err.contains("Global Distributed Cache"))
            let journal = try AliyunThrottlingTests.journal(cli)
            #expect(journal.contains { ($0["message"] as? String)?.contains("warning: \(note)") == true })
            // Planned again: no release, the same words, and nothing to do.
            let again = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"], environment: wait)
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
            #expect(again.out.contains(note), "\(again.out)")
            #expect(!again.out.contains("release-group"))
        }
    }

    @Test("(3) the site: China by default and shown; on the international site the China-only steps are refused")
    func theSite() async throws {
        try await World.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "complete"))
            let china = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--no-color"])
            #expect(china.code == 0, "\(china.out)\n\(china.err)")
            #expect(china.out.contains("(provider aliyun, China site, stage complete"), "\(china.out)")
            let json = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--output", "json"])
            #expect(json.out.contains(#""site" : "china""#) || json.out.contains(#""site":"china""#), "\(json.out)")
            try await cloud.control("POST", "config", ["site": "international"])
            try await cloud.resetCalls()
            let international = try await cli.run(
                ["plan", "-f", cli.path("orders.yaml")], environment: [AliyunSite.variable: "international"])
            #expect(international.code == 1, "\(international.out)\n\(international.err)")
            #expect(
                international.err.contains(
                    "orders.yaml:6:13: error: migration \"orders-cache\": create-target: on the international site "
                        + "(alibabacloud.com) the API has no documented way to add a classic instance"),
                "\(international.err)")
            #expect(international.err.contains("Add Child Instance"))
            let actions = try await cloud.callLog().compactMap { $0["action"] as? String }
            #expect(actions.allSatisfy { $0.hasPrefix("Describe") }, "\(actions)")
            // A plan saved for one site is not applied on the other.
            let saved = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "-out", cli.path("china.plan")])
            #expect(saved.code == 0 || saved.code == 2, "\(saved.err)")
            let crossed = try await cli.run(
                ["apply", cli.path("china.plan"), "--auto-approve"], environment: [AliyunSite.variable: "international"])
            #expect(crossed.code == 1)
            #expect(try await World.created(cloud).isEmpty)
        }
    }

    @Test("(3) on the international site the source is released the documented way: RemoveSubInstance, then DeleteInstance")
    func internationalRelease() async throws {
        try await World.withWorld { cloud, cli in
            // The target as a console-added child would be: here made on the China site, then the account "moves".
            try await cli.apply("orders.yaml", AliyunCLI.spec(stage: "cutover"))
            try await cloud.control("POST", "config", ["site": "international"])
            try await cloud.resetCalls()
            let international = [AliyunSite.variable: "international"]
            let dry = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--dry-run"], environment: international)
            #expect(dry.code == 0, "\(dry.out)\n\(dry.err)")
            try await cli.apply("orders.yaml", AliyunCLI.spec(stage: "complete"), environment: international)
            let log = try await cloud.callLog().filter { $0["code"] is NSNull || $0["code"] == nil }
            let changes = log.compactMap { entry -> String? in
                let action = entry["action"] as? String ?? ""
                return ["RemoveSubInstance", "DeleteInstance"].contains(action) ? action : nil
            }
            #expect(changes == ["RemoveSubInstance", "DeleteInstance"], "\(changes)")
            let delete = log.first { $0["action"] as? String == "DeleteInstance" }?["params"] as? [String: Any] ?? [:]
            #expect(delete["InstanceId"] as? String == World.sourceID)
            #expect(delete["GlobalInstanceId"] == nil, "\(delete)")
            let instances = try await cloud.state()["instances"] as? [String: Any] ?? [:]
            #expect(instances[World.sourceID] == nil)
            let again = try await cli.run(
                ["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"], environment: international)
            #expect(again.code == 0, "\(again.out)\n\(again.err)")
        }
    }

    @Test("(7) a change to PrePaid for 60 months is refused at the period's line and column")
    func sixtyMonthsIsNotForABillingChange() async throws {
        try await World.withWorld { _, cli in
            try await cli.apply("orders.yaml", AliyunCLI.spec(stage: "sync"))
            try cli.write("orders.yaml", Self.spec(billing: "type: PrePaid\n      periodMonths: 60"))
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml")])
            #expect(plan.code == 1, "\(plan.out)\n\(plan.err)")
            #expect(plan.err.contains("orders.yaml:18:21: error: migration \"orders-cache\": target r-"), "\(plan.err)")
            #expect(plan.err.contains("would change to PrePaid for 60 months, but a change of billing takes a period of"))
            try cli.write("orders.yaml", Self.spec(billing: "type: PrePaid\n      periodMonths: 36"))
            let ok = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(ok.code == 2, "\(ok.out)\n\(ok.err)")
            #expect(ok.out.contains("billing will be changed"))
        }
    }

    @Test("whitelists: the source's groups are shown, a vSwitch no group admits is warned of, spec groups are set and kept")
    func whitelistGroupsForTheNewVPC() async throws {
        try await World.withWorld { cloud, cli in
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let bare = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--no-color"])
            #expect(bare.code == 0, "\(bare.err)")
            #expect(
                bare.out.contains("the target's whitelist groups are copied from the source when it is created: default = 127.0.0.1"),
                "\(bare.out)")
            #expect(
                bare.out.contains(
                    "none of the target's whitelist groups (default) covers vSwitch vsw-bp1app0001 (\(AliyunCLI.appCidr))"),
                "\(bare.out)")
            let groups = "    securityIps:\n      app: [\(AliyunCLI.appCidr)]\n"
            try cli.write("orders.yaml", Self.spec(target: groups))
            let planned = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--no-color"])
            #expect(!planned.out.contains("none of the target's whitelist groups"), "\(planned.out)")
            #expect(planned.out.contains("whitelist groups will be set"), "\(planned.out)")
            let sync = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(sync.code == 0, "\(sync.out)\n\(sync.err)")
            let log = try await cloud.callLog().compactMap { $0["action"] as? String }
            let create = try #require(log.firstIndex(of: "CreateInstance"))
            let modify = try #require(log.firstIndex(of: "ModifySecurityIps"), "\(log)")
            #expect(create < modify)
            let child = try #require(try await World.created(cloud).first)
            let instances = try await cloud.state()["instances"] as? [String: [String: Any]] ?? [:]
            let onTarget = (instances[child]?["_security_ip_groups"] as? [[String: Any]] ?? []).reduce(
                into: [String: String]()
            ) { $0[$1["SecurityIpGroupName"] as? String ?? ""] = $1["SecurityIpList"] as? String }
            #expect(onTarget == ["default": "127.0.0.1", "app": AliyunCLI.appCidr], "\(onTarget)")
            let settled = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(settled.code == 0, "\(settled.out)\n\(settled.err)")
            // A second range for the same group: a change, shown as ~ with before and after.
            try cli.write("orders.yaml", Self.spec(target: "    securityIps:\n      app: [\(AliyunCLI.appCidr), 172.16.9.0/24]\n"))
            let drift = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode", "--no-color"])
            #expect(drift.code == 2, "\(drift.out)\n\(drift.err)")
            #expect(drift.out.contains("~ app = \"\(AliyunCLI.appCidr)\" -> \"\(AliyunCLI.appCidr),172.16.9.0/24\""), "\(drift.out)")
            let apply = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(apply.code == 0, "\(apply.out)\n\(apply.err)")
            let done = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(done.code == 0, "\(done.out)\n\(done.err)")
        }
    }

    /// Records one request and answers it with temporary credentials.
    actor Recorder: HTTPTransport {
        var requests: [HTTPExchangeRequest] = []

        func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
            requests.append(request)
            let body = #"""
                {"RequestId":"R","Credentials":{"AccessKeyId":"STS.id","AccessKeySecret":"s","SecurityToken":"t",
                "Expiration":"2099-01-01T00:00:00Z"}}
                """#
            return HTTPExchangeResponse(status: 200, body: Array(body.utf8))
        }

        nonisolated func shutdown() async {}
    }

    @Test("(5) AssumeRoleWithOIDC goes out as alibabacloud-credentials sends it: GET, every parameter in the query")
    func oidcRequestMatchesTheOfficialLibrary() async throws {
        let recorder = Recorder()
        let environment = [
            "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::123456789012:role/kvmove-ci",
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::123456789012:oidc-provider/github",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/token", "ALIBABA_CLOUD_ROLE_SESSION_NAME": "kvmove",
        ]
        let chain = CredentialsChain(
            environment: environment, homeDirectory: nil, sender: RPCSender(transport: recorder),
            endpoints: try Endpoints(environment: [:]), readFile: { _ in Array("eyJ.oidc.token".utf8) })
        _ = try await chain.credentials()
        let sent = try #require(await recorder.requests.first)
        let url = try #require(URLComponents(string: sent.url))
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] { query[item.name] = item.value }

        let python = try PythonTooling.require()
        let input = #"""
            {"role_arn": "acs:ram::123456789012:role/kvmove-ci",
             "oidc_provider_arn": "acs:ram::123456789012:oidc-provider/github", "oidc_token": "eyJ.oidc.token",
             "role_session_name": "kvmove", "duration_seconds": 3600, "sts_endpoint": "sts.aliyuncs.com"}
            """#
        let result = try ProcessRun.run(
            python, [PythonTooling.fakeCloudDirectory.appendingPathComponent("oidc_reference.py").path], stdin: input)
        #expect(result.code == 0, "\(result.err)")
        let reference = try #require(
            try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "\(result.out)")
        #expect(sent.method == reference["method"] as? String)
        #expect(url.host == reference["host"] as? String)
        #expect((url.path.isEmpty ? "/" : url.path) == (reference["path"] as? String ?? "/"))
        var official = reference["query"] as? [String: String] ?? [:]
        let volatile = Set((reference["volatile"] as? [String] ?? []).map { $0.replacingOccurrences(of: "query.", with: "") })
        for name in volatile { #expect((query[name] != nil) == (official[name] != nil), "\(name)") }
        official = official.filter { !volatile.contains($0.key) }
        #expect(query.filter { !volatile.contains($0.key) } == official)
        #expect((reference["form"] as? [String: String] ?? [:]).isEmpty && sent.body.isEmpty)
        let headers = Set(sent.headers.map { $0.name.lowercased() })
        let officialHeaders = Set((reference["headers"] as? [String: String] ?? [:]).keys)
        #expect(headers == officialHeaders, "\(headers) vs \(officialHeaders)")
        #expect(!headers.contains("authorization"))
    }
}
