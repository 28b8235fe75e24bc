import KVMoveCore

extension AliyunProvider {
    /// The requests each step sends, built once from its planned values, never calling the API.
    ///
    /// Changing calls come first, then the polls that await them (shown with a note saying what
    /// they wait for). Creates carry the plan's idempotency token (`Token` for `CreateInstance`,
    /// `ClientToken` for `CreateTairInstance`); every changing call is sent only after `send` checked
    /// that its effect is not there yet, so resending after an interruption converges.
    package func requests(for step: Step, in context: StepContext) throws -> [ProviderRequest] {
        let sourceRegion = context.settings[Self.sourceRegionSetting]
        let targetRegion = context.settings[Self.targetRegionSetting] ?? sourceRegion
        if let planned = context.settings[AliyunSite.setting], planned != site.rawValue {
            throw ProviderError(
                source: .kvmove, code: "SiteChanged",
                message: "the plan was made for the \(planned) site, but \(AliyunSite.variable) says \(site.rawValue) "
                    + "now; set it back, or run kvmove plan again")
        }
        guard let sourceRegion, let targetRegion else {
            throw ProviderError(
                source: .kvmove, code: "MissingSetting",
                message: "the plan does not say which regions migration \(context.migration) uses; "
                    + "run kvmove plan again with this version of kvmove")
        }
        let onTarget: Bool =
            switch step.planned {
            case .target, .rename, .billing, .fullSync, .disconnect, .securityIps: true
            default: false
            }
        return try buildRequests(for: step, in: context).map { request in
            guard request.service == Self.kvstore, request.text("RegionId") == nil else { return request }
            var request = request
            let groupCall = request.action.contains("GlobalDistributeCache")
            let region = groupCall || !onTarget ? sourceRegion : targetRegion
            request.parameters.insert(ProviderRequest.Parameter("RegionId", region), at: 0)
            return request
        }
    }

    private func buildRequests(for step: Step, in context: StepContext) throws -> [ProviderRequest] {
        typealias P = ProviderRequest.Parameter
        func change(_ action: String, _ parameters: [P], note: String? = nil) -> ProviderRequest {
            ProviderRequest(
                service: Self.kvstore, action: action, parameters: parameters, effect: .change, idempotent: true,
                note: note)
        }
        func poll(_ action: String, _ parameters: [P], note: String) -> ProviderRequest {
            ProviderRequest(service: Self.kvstore, action: action, parameters: parameters, effect: .read, note: note)
        }
        func redis(_ action: String, _ parameters: [P], effect: ProviderRequest.Effect = .read, note: String)
            -> ProviderRequest
        {
            ProviderRequest(
                service: Self.redis, action: action, parameters: parameters, effect: effect, idempotent: true,
                note: note)
        }
        func id(_ known: String?, _ reference: ResourceReference) -> ProviderRequest.Value {
            (known ?? context.resources.id(of: reference)).map { .text($0) } ?? .knownAfterApply(reference)
        }
        func connection(_ spec: ConnectionSpec?) -> [P] {
            let spec = spec ?? ConnectionSpec()
            var parameters = [P("Address", spec.address.rawValue)]
            if let env = spec.passwordEnv { parameters.append(P("PasswordEnv", env)) }
            if let username = spec.username { parameters.append(P("Username", username)) }
            if let tls = spec.tls {
                parameters.append(P("TLS", tls.verifyCertificate ? "verify" : "no-verify"))
                if let file = tls.caFile { parameters.append(P("CAFile", file)) }
            }
            if let seconds = spec.commandTimeoutSeconds { parameters.append(P("CommandTimeout", "\(seconds)s")) }
            return parameters
        }
        switch step.planned {
        case .upgradeMinorVersion(let p):
            return [
                change(
                    "ModifyInstanceMinorVersion",
                    [
                        P("InstanceId", p.instanceId), P("Minorversion", "latest_version"),
                        P("EffectiveTime", "Immediately"),
                    ],
                    note: "sent unless DescribeEngineVersion says the minor version is already the latest"),
                poll(
                    "DescribeInstanceAttribute", [P("InstanceId", p.instanceId)],
                    note: "polled until InstanceStatus is Normal again (MinorVersionUpgrading while it runs)"),
            ]
        case .group(let p):
            return [
                change(
                    "CreateGlobalDistributeCache",
                    [
                        P("RegionId", p.region), P("SeedSubInstanceId", p.seedInstanceId),
                        P("EffectiveTime", "Immediately"),
                    ],
                    note: "sent unless the source already leads a distributed instance; the id is read back from it"),
                poll(
                    "DescribeGlobalDistributeCache", [P("GlobalInstanceId", id(nil, .group))],
                    note: "polled until Status is Normal"),
            ]
        case .target(let p):
            let cloudNative = AliyunInstance.isCloudNative(instanceClass: p.instanceClass)
            var parameters = [P("RegionId", p.region), P("ZoneId", p.zone)]
            // CreateTairInstance has no NetworkType (always VPC); CreateInstance needs it.
            if !cloudNative { parameters.append(P("NetworkType", "VPC")) }
            parameters += [
                P("VpcId", p.vpcId), P("VSwitchId", p.vSwitchId), P("InstanceClass", p.instanceClass),
                P("EngineVersion", p.engineVersion),
            ]
            if cloudNative { parameters.append(P("InstanceType", "tair_rdb")) }
            // ShardCount "applies only to cloud-native instances" (SDK CreateInstanceRequest); a classic cluster's
            // class (redis.amber.*.cluster…) already fixes its shards, so CreateInstance never carries it.
            if cloudNative, let shards = p.shardCount { parameters.append(P("ShardCount", String(shards))) }
            parameters += [P("InstanceName", p.name), P("GlobalInstanceId", id(p.groupId, .group))]
            // Only CreateTairInstance has AutoPay; CreateInstance has none (its SDK model lists no such field).
            parameters += billingParameters(p.billing, autoPay: cloudNative)
            parameters.append(P(cloudNative ? "ClientToken" : "Token", context.idempotencyToken))
            parameters += tagParameters(p.tags)
            // The group's id on the target, so that a plan after the release still finds a group the cloud kept.
            let groupTag = p.tags.count + 1
            parameters += [
                P("Tag.\(groupTag).Key", Self.groupTagKey), P("Tag.\(groupTag).Value", id(p.groupId, .group)),
            ]
            return [
                change(
                    cloudNative ? "CreateTairInstance" : "CreateInstance", parameters,
                    note: "sent unless an instance tagged \(Self.tagKey)=\(context.migration) exists; "
                        + "the token makes a resend return the same instance"),
                poll(
                    "DescribeInstanceAttribute", [P("InstanceId", .knownAfterApply(.target))],
                    note: "polled until InstanceStatus is Normal and IsOrderCompleted is true"),
                poll(
                    "DescribeGlobalDistributeCache", [P("GlobalInstanceId", id(p.groupId, .group))],
                    note: "polled until the group is Normal and lists the target Normal"),
            ]
        case .securityIps(let p):
            let target = id(p.instanceId, .target)
            return p.groups.sorted { $0.key < $1.key }.map { name, ips in
                change(
                    "ModifySecurityIps",
                    [
                        P("InstanceId", target), P("SecurityIpGroupName", name),
                        P("SecurityIps", ips.joined(separator: ",")), P("ModifyMode", "Cover"),
                    ],
                    note: "sent unless DescribeSecurityIps already lists exactly these addresses in \(name); then "
                        + "DescribeSecurityIps is polled until it does and DescribeInstanceAttribute until "
                        + "InstanceStatus is Normal")
            }
        case .rename(let p):
            return [
                change("ModifyInstanceAttribute", [P("InstanceId", p.instanceId), P("InstanceName", p.name)]),
                poll(
                    "DescribeInstanceAttribute", [P("InstanceId", p.instanceId)],
                    note: "polled until InstanceName is the new name"),
            ]
        case .billing(let p):
            // TransformInstanceChargeType goes both ways (part 2 §6); TransformToPrePaid is not needed.
            let parameters = [P("InstanceId", p.instanceId)] + billingParameters(p.billing, autoPay: true)
            return [
                change(
                    "TransformInstanceChargeType", parameters + (p.billing == .postPaid ? [P("AutoPay", "true")] : []),
                    note: "sent unless ChargeType already is \(p.billing.chargeType)"),
                poll(
                    "DescribeInstanceAttribute", [P("InstanceId", p.instanceId)],
                    note: "polled until ChargeType is \(p.billing.chargeType), InstanceStatus Normal, "
                        + "IsOrderCompleted true"),
            ]
        case .fullSync(let p):
            let target = id(p.targetInstanceId, .target)
            return [
                poll(
                    "DescribeInstanceAttribute", [P("InstanceId", target)],
                    note: "polled until InstanceStatus is Normal and IsOrderCompleted is true"),
                poll(
                    "DescribeGlobalDistributeCache", [P("GlobalInstanceId", id(p.groupId, .group))],
                    note: "polled until the group is Normal and lists the target Normal"),
                redis(
                    "SentinelRoundTrip",
                    [P("SourceInstanceId", p.sourceInstanceId), P("TargetInstanceId", target)]
                        + connection(p.connection),
                    effect: .change,
                    note: "writes the key kvmove:sentinel:\(context.migration) (expires in 10 minutes) on the source "
                        + "and waits until the target has it, showing both key counts; addresses from DescribeDBInstanceNetInfo"
                ),
            ]
        case .verification(let p):
            return [
                redis(
                    "Verify",
                    [
                        P("SourceInstanceId", p.sourceInstanceId),
                        P("TargetInstanceId", id(p.targetInstanceId, .target)),
                        P("TTLToleranceMs", String(p.ttlToleranceMilliseconds)),
                        P("MaxReadsPerSecond", String((p.verify ?? VerifySpec()).maxReadsPerSecond)),
                    ] + connection(p.connection) + [P("RecordTag", Self.verifiedTagKey)],
                    note: "compares every key both ways over the Redis protocol; writes a JSON report; then records "
                        + "the result on the target (TagResources ResourceType=INSTANCE ResourceId.1=<target> "
                        + "Tag.1.Key=\(Self.verifiedTagKey) Tag.1.Value=passed|failed <UTC time> <summary>), so a "
                        + "plan on any machine sees it")
            ]
        case .gates(let p):
            if p.requireNoSourceWritesSeconds != nil {
                throw ProviderError(
                    source: .kvmove, code: "UnsupportedGate",
                    message: "cutover.requireNoSourceWrites is not available with provider aliyun: the cloud's "
                        + "channel writes the target's writes to the source, and kvmove cannot tell them from an "
                        + "application's; use requireIdleSource instead")
            }
            var requests: [ProviderRequest] = []
            if let seconds = p.requireIdleSourceSeconds {
                requests.append(
                    redis(
                        "WaitForIdleSource",
                        [
                            P("InstanceId", p.sourceInstanceId),
                            P("TargetInstanceId", id(p.targetInstanceId, .target)), P("For", formatSeconds(seconds)),
                        ] + connection(p.connection),
                        note: "samples CLIENT LIST on the source about once a second; passes once no application "
                            + "was connected for that long"))
            }
            if let seconds = p.maxLagSeconds {
                requests.append(
                    redis(
                        "WaitForLag",
                        [
                            P("InstanceId", p.sourceInstanceId),
                            P("TargetInstanceId", id(p.targetInstanceId, .target)),
                            P("MaxLag", formatSeconds(seconds)),
                        ] + connection(p.connection),
                        note: "writes the key kvmove:lag:<migration> on the source (1 min expiry, deleted after) and "
                            + "times its arrival on the target; passes after 3 samples in a row under the limit"))
            }
            return requests
        case .disconnect(let p):
            let target = id(p.targetInstanceId, .target)
            return [
                change(
                    "RemoveSubInstance", [P("InstanceId", target)],
                    note: "sent unless the target already stands alone; its data stays"),
                poll(
                    "DescribeInstanceAttribute", [P("InstanceId", target)],
                    note: "polled until the target has no GlobalInstanceId and InstanceStatus is Normal"),
            ]
        case .releaseInstance(let p):
            var requests: [ProviderRequest] = []
            let member = p.groupId != nil || p.inPlannedGroup == true
            if site == .international, member {
                // DeleteInstance's GlobalInstanceId is China-site only; the documented way on the international
                // site is to take the member out of its group first (RemoveSubInstance), then release it.
                requests += [
                    change(
                        "RemoveSubInstance", [P("InstanceId", p.instanceId)],
                        note: "sent unless the source already stands alone (DeleteInstance's GlobalInstanceId is "
                            + "China-site only); releasing the group's last member releases the group"),
                    poll(
                        "DescribeGlobalDistributeCache", [P("SubInstanceId", p.instanceId)],
                        note: "polled until no distributed instance lists the source, then DescribeInstanceAttribute "
                            + "until it is Normal"),
                ]
            }
            if p.convertToPostPaid == true {
                requests += [
                    change(
                        "TransformInstanceChargeType",
                        [P("InstanceId", p.instanceId), P("ChargeType", "PostPaid"), P("AutoPay", "true")],
                        note: "the PrePaid source becomes pay-as-you-go so the API can release it; the unused "
                            + "subscription is refunded (paid minus consumed; coupons are not refunded)"),
                    poll(
                        "DescribeInstanceAttribute", [P("InstanceId", p.instanceId)],
                        note: "polled until ChargeType is PostPaid and IsOrderCompleted is true"),
                ]
            }
            var parameters = [P("InstanceId", p.instanceId)]
            // On the China site a member is released with its group's id. A source that joins the group this apply
            // creates is a member by then.
            if site == .china, let groupId = p.groupId {
                parameters.append(P("GlobalInstanceId", groupId))
            } else if site == .china, p.inPlannedGroup == true {
                parameters.append(P("GlobalInstanceId", id(nil, .group)))
            }
            requests += [
                change("DeleteInstance", parameters, note: "sent unless the instance is already gone"),
                poll(
                    "DescribeInstances", [P("InstanceIds", p.instanceId)],
                    note: "polled until the instance is no longer listed (or listed Released)"),
            ]
            return requests
        case .releaseGroup(let p):
            // The API has no call that releases a distributed instance ("分布式实例不支持直接释放": remove or
            // release each child instead); it goes once its last member has left. Members kvmove did not put
            // there are never removed here.
            return [
                poll(
                    "DescribeGlobalDistributeCache", [P("GlobalInstanceId", id(p.groupId, .group))],
                    note: "polled until the distributed instance is no longer listed, for at most "
                        + "\(formatSeconds(Int(groupReleaseWait.components.seconds))) (the cloud releases it once its "
                        + "last member has left; no API call releases it); still listed then, the step ends with a "
                        + "warning naming it and the console page, and later plans say the same")
            ]
        }
    }

    func billingParameters(_ billing: Billing, autoPay: Bool) -> [ProviderRequest.Parameter] {
        var parameters = [ProviderRequest.Parameter("ChargeType", billing.chargeType)]
        if case .prePaid(let months, let autoRenew) = billing {
            parameters.append(.init("Period", months.map(String.init) ?? ""))
            parameters.append(.init("AutoRenew", autoRenew ? "true" : "false"))
            if autoRenew { parameters.append(.init("AutoRenewPeriod", "1")) }
            if autoPay { parameters.append(.init("AutoPay", "true")) }
        }
        return parameters
    }

    func tagParameters(_ tags: [String: String]) -> [ProviderRequest.Parameter] {
        tags.sorted { $0.key < $1.key }.enumerated().flatMap { index, tag in
            [
                ProviderRequest.Parameter("Tag.\(index + 1).Key", tag.key),
                ProviderRequest.Parameter("Tag.\(index + 1).Value", tag.value),
            ]
        }
    }
}
