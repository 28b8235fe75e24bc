import Foundation
import KVMoveCore
import KVMoveSecret

/// A provider over a ``FakeWorld``: behaves like the cloud's API, in memory or in a file.
///
/// It follows the cloud's rules that matter to kvmove: creates are idempotent by token,
/// a group is released automatically when its last member leaves. Its requests are built from
/// the steps' planned values, one per step, and carry the target's password as a real ``Secret``
/// that the fake receives in clear (``FakeWorld/passwords``), so leak tests can fail. Every
/// changing request carried out is logged in ``FakeWorld/calls`` by its (redacted) description.
package struct FakeProvider: Provider {
    package let name: String
    package let store: FakeWorldStore
    /// The generated password a target gets; tests check it never leaks.
    package static let targetPassword = "Fake-Secret-Pa55word!"

    private let onShutdown: @Sendable () -> Void

    package init(name: String = "local", store: FakeWorldStore, onShutdown: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.store = store
        self.onShutdown = onShutdown
    }

    package init(name: String = "local", world: FakeWorld) {
        self.init(name: name, store: FakeWorldStore(world))
    }

    // MARK: - Observe

    package func observe(_ specs: [MigrationSpec]) async throws -> [String: ObservedMigration] {
        let world = try await store.world()
        var result: [String: ObservedMigration] = [:]
        for spec in specs { result[spec.name] = observe(spec, in: world) }
        return result
    }

    private func observe(_ spec: MigrationSpec, in world: FakeWorld) -> ObservedMigration {
        var seen = ObservedMigration()
        let live = world.instances.filter { $0.observed.status != "Released" }
        if let source = live.first(where: {
            $0.observed.id == spec.source.instanceId && $0.observed.region == spec.source.region
        }) {
            seen.source = source.observed
            if let groupId = source.observed.groupId {
                seen.sourceGroup = world.groups.first { $0.observed.id == groupId }?.observed
            }
        }
        let target = live.first { $0.observed.createdByMigration == spec.name }
        seen.target = target?.observed
        seen.nameConflict =
            live.first {
                $0.observed.region == spec.target.region && $0.observed.name == spec.target.instanceName
                    && $0.observed.createdByMigration != spec.name
            }?.observed
        let group = world.groups.first {
            $0.observed.createdByMigration == spec.name || $0.observed.name == spec.activeActive.name
        }
        seen.group = group?.observed
        seen.targetVPC = world.vpcs.first { $0.id == spec.target.vpcId && $0.region == spec.target.region }
        seen.targetVSwitch = world.vSwitches.first { $0.id == spec.target.vSwitchId }
        if let target, let group, target.observed.groupId == group.observed.id {
            let progress = min(1, group.progress[target.observed.id] ?? 0)
            seen.sync = ObservedSync(phase: progress >= 1 ? .synchronized : .initializing, progress: progress)
        }
        seen.verification = world.verifications[spec.name]
        return seen
    }

    /// Reports the shutdown, so tests can see that a run shuts its providers down.
    package func shutdown() async { onShutdown() }

    // MARK: - Requests

    private func request(
        _ action: String, _ parameters: [ProviderRequest.Parameter], effect: ProviderRequest.Effect = .change,
        note: String? = nil
    ) -> ProviderRequest {
        ProviderRequest(
            service: "fake", action: action, parameters: parameters, effect: effect, idempotent: true, note: note)
    }

    private func id(_ known: String?, _ reference: ResourceReference) -> ProviderRequest.Value {
        known.map { .text($0) } ?? .knownAfterApply(reference)
    }

    package func requests(for step: Step, in context: StepContext) throws -> [ProviderRequest] {
        typealias P = ProviderRequest.Parameter
        let group = id(context.resources.groupId, .group)
        let target = id(context.resources.targetId, .target)
        switch step.planned {
        case .upgradeMinorVersion(let p):
            return [request("UpgradeMinorVersion", [P("InstanceId", p.instanceId)])]
        case .group(let p):
            return [
                request(
                    "CreateGroup",
                    [P("SeedInstanceId", p.seedInstanceId), P("Name", p.name), P("Token", context.idempotencyToken)])
            ]
        case .target(let p):
            var parameters = [
                P("RegionId", p.region), P("ZoneId", p.zone), P("VpcId", p.vpcId), P("VSwitchId", p.vSwitchId),
                P("InstanceName", p.name), P("InstanceClass", p.instanceClass), P("EngineVersion", p.engineVersion),
                P("GroupId", p.groupId.map { .text($0) } ?? group), P("ChargeType", p.billing.chargeType),
            ]
            if case .prePaid(let months, let autoRenew) = p.billing {
                parameters += [P("Period", months.map(String.init) ?? ""), P("AutoRenew", String(autoRenew))]
            }
            parameters += [
                P("Password", .secret(Secret(FakeProvider.targetPassword))), P("Token", context.idempotencyToken),
                P("Tag.1.Key", Tags.migration), P("Tag.1.Value", p.tags[Tags.migration] ?? context.migration),
            ]
            return [request("CreateInstance", parameters)]
        case .rename(let p):
            return [request("RenameInstance", [P("InstanceId", p.instanceId), P("InstanceName", p.name)])]
        case .billing(let p):
            return [
                request("ChangeBilling", [P("InstanceId", p.instanceId), P("ChargeType", p.billing.chargeType)])
            ]
        case .fullSync:
            return [request("WaitFullSync", [P("TargetId", target)], effect: .read, note: "polled until 100%")]
        case .verification(let p):
            return [
                request(
                    "Verify", [P("SourceId", p.sourceInstanceId), P("TargetId", target)], effect: .read)
            ]
        case .gates(let p):
            var requests: [ProviderRequest] = []
            if let seconds = p.requireIdleSourceSeconds {
                requests.append(
                    request(
                        "WaitIdle", [P("InstanceId", p.sourceInstanceId), P("Seconds", String(seconds))], effect: .read)
                )
            }
            if let seconds = p.requireNoSourceWritesSeconds {
                requests.append(
                    request(
                        "WaitNoWrites", [P("InstanceId", p.sourceInstanceId), P("Seconds", String(seconds))],
                        effect: .read))
            }
            if let seconds = p.maxLagSeconds {
                requests.append(
                    request("WaitLag", [P("TargetId", target), P("Seconds", String(seconds))], effect: .read))
            }
            return requests
        case .disconnect:
            return [request("RemoveMember", [P("InstanceId", target)])]
        case .releaseInstance(let p):
            return [request("DeleteInstance", [P("InstanceId", p.instanceId)])]
        case .releaseGroup(let p):
            return [request("DeleteGroup", [P("GroupId", p.groupId.map { .text($0) } ?? group), P("Name", p.name)])]
        case .securityIps(let p):
            return p.groups.sorted { $0.key < $1.key }.map { name, ips in
                request(
                    "SetWhitelist",
                    [
                        P("InstanceId", p.instanceId.map { .text($0) } ?? target), P("Group", name),
                        P("Addresses", ips.joined(separator: ",")),
                    ])
            }
        }
    }

    // MARK: - Send

    package func send(_ request: ProviderRequest, for step: Step, in context: StepContext) async throws
        -> StepOutcome
    {
        let requestId = try await store.change { world -> String in
            world.received.append(request.action)
            return "fake-req-\(world.received.count)"
        }
        try await injectedFailure(step, request, requestId: requestId)
        let behaviour = try await store.world().behaviour
        if behaviour.hang.contains(step.kind.rawValue) {
            // Never answers; only cancellation ends it (the applier's step timeout).
            try await Task.sleep(for: .seconds(86_400))
        }
        if behaviour.callMilliseconds > 0, request.effect == .change {
            try await Task.sleep(for: .milliseconds(behaviour.callMilliseconds))
        }
        var outcome = try await carryOut(request, step: step, context: context)
        outcome.requestId = requestId
        let lostReply = try await store.change { world -> Bool in
            guard let index = world.behaviour.failAfterCommit.firstIndex(of: request.action) else { return false }
            world.behaviour.failAfterCommit.remove(at: index)
            return true
        }
        if lostReply {
            throw ProviderError(
                source: .local, code: "ServiceUnavailable", message: "injected: carried out, reply lost",
                requestId: requestId, retry: .backoff)
        }
        return outcome
    }

    private func carryOut(_ request: ProviderRequest, step: Step, context: StepContext) async throws -> StepOutcome {
        let call = request.description
        switch request.action {
        case "UpgradeMinorVersion":
            let id = try param(request, "InstanceId")
            try await mutate(call) { world in
                world.update(instance: id) {
                    $0.observed.minorVersion = "7.0.2.6"
                    $0.observed.syncCapable = true
                }
            }
            return StepOutcome(summary: "minor version upgraded")
        case "CreateGroup":
            let source = try param(request, "SeedInstanceId")
            let name = try param(request, "Name")
            let token = try param(request, "Token")
            let id: String = try await mutate(call) { world in
                if let existing = world.groups.first(where: { $0.token == token }) { return existing.observed.id }
                let id = world.makeId("gr-")
                world.groups.append(
                    FakeWorld.Group(
                        ObservedGroup(id: id, name: name, members: [source], tags: [Tags.migration: context.migration]),
                        token: token))
                world.update(instance: source) { $0.observed.groupId = id }
                return id
            }
            try context.operation("req-\(id)")
            return StepOutcome(groupId: id, summary: "group \(id) created")
        case "CreateInstance":
            let (groupId, targetId) = try await createTarget(request, step: step, context: context)
            try context.operation("order-\(targetId)")
            return StepOutcome(groupId: groupId, targetId: targetId, summary: "target \(targetId) created")
        case "RenameInstance":
            let id = try param(request, "InstanceId")
            let name = try param(request, "InstanceName")
            try await mutate(call) { world in world.update(instance: id) { $0.observed.name = name } }
            return StepOutcome(summary: "renamed")
        case "ChangeBilling":
            guard case .billing(let planned) = step.planned else { throw mismatch(request, step) }
            try await mutate(call) { world in
                world.update(instance: planned.instanceId) { $0.observed.billing = planned.billing }
            }
            return StepOutcome(summary: "billing changed")
        case "WaitFullSync":
            return try await waitFullSync(try param(request, "TargetId"), context)
        case "Verify":
            return try await verify(
                source: try param(request, "SourceId"), target: try param(request, "TargetId"), context)
        case "WaitIdle":
            return try await checkIdle(try param(request, "InstanceId"), context)
        case "WaitLag":
            // The fake's channel has no lag: its sync is instantaneous.
            return StepOutcome(summary: "channel lag under \(try param(request, "Seconds"))s")
        case "RemoveMember":
            let targetId = try param(request, "InstanceId")
            try await mutate(call) { world in
                guard let groupId = world.instance(targetId)?.observed.groupId else { return }
                world.update(group: groupId) { $0.observed.members.removeAll { $0 == targetId } }
                world.update(instance: targetId) { $0.observed.groupId = nil }
            }
            return StepOutcome(summary: "sync disconnected; target stands alone")
        case "SetWhitelist":
            let id = try param(request, "InstanceId")
            let group = try param(request, "Group")
            let addresses = try param(request, "Addresses").split(separator: ",").map(String.init)
            try await mutate(call) { world in
                world.update(instance: id) {
                    $0.observed.securityIps = ($0.observed.securityIps ?? [:]).merging([group: addresses]) { $1 }
                }
            }
            return StepOutcome(summary: "whitelist \(group) set")
        case "DeleteInstance":
            let sourceId = try param(request, "InstanceId")
            try await mutate(call) { world in
                guard let source = world.instance(sourceId) else { return }
                if let groupId = source.observed.groupId {
                    world.update(group: groupId) { $0.observed.members.removeAll { $0 == sourceId } }
                    // The cloud releases a group whose last member left.
                    world.groups.removeAll { $0.observed.id == groupId && $0.observed.members.isEmpty }
                }
                world.update(instance: sourceId) {
                    $0.observed.status = "Released"
                    $0.observed.groupId = nil
                }
            }
            return StepOutcome(summary: "source released")
        case "DeleteGroup":
            let id = request.text("GroupId")
            try await mutate(call) { world in
                let id = id ?? world.groups.first { $0.observed.createdByMigration == context.migration }?.observed.id
                guard let id, let group = world.groups.first(where: { $0.observed.id == id }) else { return }
                for member in group.observed.members { world.update(instance: member) { $0.observed.groupId = nil } }
                world.groups.removeAll { $0.observed.id == id }
            }
            return StepOutcome(summary: "group released")
        default:
            throw mismatch(request, step)
        }
    }

    private func param(_ request: ProviderRequest, _ name: String) throws -> String {
        guard let value = request.text(name) else {
            throw ProviderError(
                source: .local, code: "MissingParameter", message: "\(request.action) has no value for \(name)")
        }
        return value
    }

    private func mismatch(_ request: ProviderRequest, _ step: Step) -> ProviderError {
        .requestMismatch(request, step, source: .local)
    }

    @discardableResult
    private func mutate<T: Sendable>(_ call: String, _ change: @Sendable (inout FakeWorld) throws -> T) async throws
        -> T
    {
        try await store.change { world in
            world.calls.append(call)
            return try change(&world)
        }
    }

    private func injectedFailure(_ step: Step, _ request: ProviderRequest, requestId: String) async throws {
        let (fail, transient): (Bool, Bool) = try await store.change { world in
            if let index = world.behaviour.failOnce.firstIndex(of: step.kind.rawValue) {
                world.behaviour.failOnce.remove(at: index)
                return (true, false)
            }
            if let left = world.behaviour.transientFailures[request.action], left > 0 {
                world.behaviour.transientFailures[request.action] = left - 1
                return (false, true)
            }
            return (false, false)
        }
        if fail {
            throw ProviderError(
                source: .local, code: "InternalError",
                message: "injected failure in \(step.kind.rawValue); retry later",
                requestId: requestId)
        }
        if transient {
            throw ProviderError(
                source: .local, code: "ServiceUnavailable", message: "injected transient failure",
                requestId: requestId, retry: .backoff)
        }
    }

    private func createTarget(_ request: ProviderRequest, step: Step, context: StepContext) async throws
        -> (String, String)
    {
        guard case .target(let planned) = step.planned else { throw mismatch(request, step) }
        let token = try param(request, "Token")
        let groupId = try param(request, "GroupId")
        guard let password = request.secret("Password")?.reveal() else {
            throw ProviderError(source: .local, code: "MissingParameter", message: "CreateInstance needs a Password")
        }
        return try await mutate(request.description) { world in
            if let existing = world.instances.first(where: { $0.token == token }) {
                return (groupId, existing.observed.id)
            }
            guard world.groups.contains(where: { $0.observed.id == groupId }) else {
                throw ProviderError(
                    source: .local, code: "InvalidGroupId.NotFound", message: "group \(groupId) does not exist")
            }
            guard let source = world.instance(planned.sourceInstanceId) else {
                throw ProviderError(
                    source: .local, code: "InvalidInstanceId.NotFound", message: "source \(planned.sourceInstanceId)")
            }
            let id = world.makeId("r-")
            var target = source.observed
            target.id = id
            target.name = planned.name
            target.region = planned.region
            target.zone = planned.zone
            target.vpcId = planned.vpcId
            target.vSwitchId = planned.vSwitchId
            target.billing = planned.billing
            target.instanceClass = planned.instanceClass
            target.engineVersion = planned.engineVersion
            target.shardCount = planned.shardCount
            target.groupId = groupId
            target.tags = planned.tags
            world.instances.append(FakeWorld.Instance(target, token: token, keys: source.keys))
            world.passwords[id] = password
            world.update(group: groupId) {
                $0.observed.members.append(id)
                $0.progress[id] = 0
            }
            return (groupId, id)
        }
    }

    private func waitFullSync(_ targetId: String, _ context: StepContext) async throws -> StepOutcome {
        while true {
            try context.checkInterrupted()
            let (progress, pause): (Double, Int) = try await store.change { world in
                guard let groupId = world.instance(targetId)?.observed.groupId,
                    let group = world.groups.first(where: { $0.observed.id == groupId })
                else {
                    throw ProviderError(
                        source: .local, code: "InvalidInstanceId.NotInGroup",
                        message: "\(targetId) is not in a group; run plan again")
                }
                let now = min(1, (group.progress[targetId] ?? 0) + world.behaviour.syncStepPerPoll)
                world.update(group: groupId) { $0.progress[targetId] = now }
                return (now, world.behaviour.pollMilliseconds)
            }
            context.progress(StepProgress(fraction: progress, message: "full sync"))
            if progress >= 1 { return StepOutcome(summary: "full sync finished") }
            try await Task.sleep(for: .milliseconds(pause))
        }
    }

    private func verify(source: String, target: String, _ context: StepContext) async throws -> StepOutcome {
        let migration = context.migration
        let result: ObservedVerification = try await store.change { world in
            let keys = world.instance(source)?.keys ?? 0
            let mismatch = world.behaviour.verifyMismatch.contains(migration)
            let verification = ObservedVerification(
                passed: !mismatch,
                at: ISO8601.string(Date()),
                summary: mismatch
                    ? "3 of \(keys) keys differ (1 missing, 2 value); report in the journal directory"
                    : "\(keys) keys match in 1 db"
            )
            world.verifications[migration] = verification
            return verification
        }
        context.progress(StepProgress(fraction: 1, message: "verified \(target)"))
        guard result.passed else {
            throw ProviderError(
                source: .redis, code: "VerificationFailed", message: "verification failed: \(result.summary)")
        }
        return StepOutcome(summary: result.summary)
    }

    private func checkIdle(_ sourceId: String, _ context: StepContext) async throws -> StepOutcome {
        while true {
            try context.checkInterrupted()
            let (busy, pause): (Int, Int) = try await store.change { world in
                let left = world.behaviour.busyPolls[sourceId] ?? 0
                if left > 0 { world.behaviour.busyPolls[sourceId] = left - 1 }
                return (left, world.behaviour.pollMilliseconds)
            }
            if busy == 0 { return StepOutcome(summary: "source idle: no clients but kvmove") }
            context.progress(StepProgress(message: "source still has client connections (\(busy) more polls)"))
            try await Task.sleep(for: .milliseconds(pause))
        }
    }
}
