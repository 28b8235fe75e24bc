import KVMoveCore
import KVMoveSecret

extension LocalProvider {
    /// The sandbox's own service: the emulated cloud's instances, groups and channel workers.
    static let sandboxService = "sandbox"
    /// The data plane: verification and gates over the Redis protocol.
    static let redisService = "redis"

    /// The requests each step sends, built from its planned values.
    ///
    /// Action names say what the sandbox does; they are not the cloud's API. A new target's
    /// password is generated here, once, and travels in the request as a ``Secret``.
    package func requests(for step: Step, in context: StepContext) throws -> [ProviderRequest] {
        typealias P = ProviderRequest.Parameter
        func sandbox(
            _ action: String, _ parameters: [P], effect: ProviderRequest.Effect = .change, note: String? = nil
        ) -> ProviderRequest {
            ProviderRequest(
                service: Self.sandboxService, action: action, parameters: parameters, effect: effect,
                idempotent: true, note: note)
        }
        func redis(_ action: String, _ parameters: [P], note: String) -> ProviderRequest {
            ProviderRequest(
                service: Self.redisService, action: action, parameters: parameters, effect: .read, note: note)
        }
        func id(_ known: String?, _ reference: ResourceReference) -> ProviderRequest.Value {
            (known ?? context.resources.id(of: reference)).map { .text($0) } ?? .knownAfterApply(reference)
        }
        let token = P("Token", context.idempotencyToken)
        switch step.planned {
        case .upgradeMinorVersion(let p):
            return [
                sandbox(
                    "UpgradeMinorVersion",
                    [P("InstanceId", p.instanceId), P("MinorVersion", LocalSandbox.latestMinorVersion)],
                    note: "restarts redis-server with its data kept: a real disconnect")
            ]
        case .group(let p):
            return [
                sandbox(
                    "CreateGroup",
                    [P("Name", p.name), P("SeedInstanceId", p.seedInstanceId), token]
                        + tagParameters(p.tags))
            ]
        case .target(let p):
            var parameters = [
                P("RegionId", p.region), P("ZoneId", p.zone), P("VpcId", p.vpcId), P("VSwitchId", p.vSwitchId),
                P("InstanceName", p.name), P("InstanceClass", p.instanceClass), P("EngineVersion", p.engineVersion),
                P("SourceInstanceId", p.sourceInstanceId), P("GroupId", id(p.groupId, .group)),
            ]
            parameters += billingParameters(p.billing)
            parameters += [P("Password", .secret(Secret(PasswordFile.generate()))), token] + tagParameters(p.tags)
            return [
                sandbox("CreateInstance", parameters, note: "starts redis-server on a free port of 127.0.0.1"),
                sandbox(
                    "StartChannel",
                    [
                        P("GroupId", id(p.groupId, .group)), P("SourceInstanceId", p.sourceInstanceId),
                        P("TargetInstanceId", .knownAfterApply(.target)),
                    ],
                    note: "starts the group's channel worker"),
            ]
        case .rename(let p):
            return [sandbox("RenameInstance", [P("InstanceId", p.instanceId), P("InstanceName", p.name)])]
        case .billing(let p):
            return [sandbox("ChangeBilling", [P("InstanceId", p.instanceId)] + billingParameters(p.billing))]
        case .fullSync(let p):
            return [
                sandbox(
                    "DescribeChannel", [P("TargetInstanceId", id(p.targetInstanceId, .target))], effect: .read,
                    note: "polled until the full sync finished; a channel worker that died is restarted")
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
                    ],
                    note: "compares every key both ways, big keys in bounded pages; writes a JSON report")
            ]
        case .gates(let p):
            var requests: [ProviderRequest] = []
            if let seconds = p.requireIdleSourceSeconds {
                requests.append(
                    redis(
                        "WaitForIdleSource",
                        [
                            P("InstanceId", p.sourceInstanceId),
                            P("TargetInstanceId", id(p.targetInstanceId, .target)), P("For", formatSeconds(seconds)),
                        ],
                        note:
                            "samples client connections about once a second; passes once no application was connected for that long"
                    ))
            }
            if let seconds = p.requireNoSourceWritesSeconds {
                requests.append(
                    redis(
                        "WaitForNoSourceWrites",
                        [
                            P("InstanceId", p.sourceInstanceId),
                            P("TargetInstanceId", id(p.targetInstanceId, .target)), P("For", formatSeconds(seconds)),
                        ],
                        note: "watches the group's channel: passes once no write but the channel's own has reached "
                            + "the source for that long and the channel is caught up"))
            }
            if let seconds = p.maxLagSeconds {
                requests.append(
                    redis(
                        "WaitForLag",
                        [
                            P("InstanceId", p.sourceInstanceId),
                            P("TargetInstanceId", id(p.targetInstanceId, .target)), P("MaxLag", formatSeconds(seconds)),
                        ],
                        note:
                            "reads the source's replication offset and times until the channel's checkpoint in the target reaches it; passes after 3 samples in a row under the limit"
                    ))
            }
            return requests
        case .disconnect(let p):
            return [
                sandbox(
                    "RemoveMember",
                    [P("TargetInstanceId", id(p.targetInstanceId, .target)), P("GroupId", id(p.groupId, .group))],
                    note: "stops the channel worker; the target keeps its data")
            ]
        case .releaseInstance(let p):
            return [
                sandbox(
                    "DeleteInstance", [P("InstanceId", p.instanceId)],
                    note: "stops redis-server and deletes its data")
            ]
        case .releaseGroup(let p):
            return [sandbox("DeleteGroup", [P("GroupId", id(p.groupId, .group)), P("Name", p.name)])]
        case .securityIps:
            // The spec loader refuses spec.target.securityIps for provider local; a plan that has one was edited.
            throw ProviderError(
                source: .local, code: "Unsupported",
                message: "the sandbox has no whitelists (its servers listen on 127.0.0.1 only); remove "
                    + "spec.target.securityIps or use provider aliyun, then plan again")
        }
    }

    private func billingParameters(_ billing: Billing) -> [ProviderRequest.Parameter] {
        var parameters = [ProviderRequest.Parameter("ChargeType", billing.chargeType)]
        if case .prePaid(let months, let autoRenew) = billing {
            parameters.append(.init("Period", months.map(String.init) ?? ""))
            parameters.append(.init("AutoRenew", String(autoRenew)))
        }
        return parameters
    }

    private func tagParameters(_ tags: [String: String]) -> [ProviderRequest.Parameter] {
        tags.sorted { $0.key < $1.key }.enumerated().flatMap { index, tag in
            [
                ProviderRequest.Parameter("Tag.\(index + 1).Key", tag.key),
                ProviderRequest.Parameter("Tag.\(index + 1).Value", tag.value),
            ]
        }
    }
}
