import Foundation
import KVMoveCore

/// A provider over a ``FakeWorld``: behaves like the cloud's API, in memory or in a file.
///
/// It follows the cloud's rules that matter to kvmove: creates are idempotent by token,
/// a group is released automatically when its last member leaves, a member must be
/// `Normal` to change. Every mutating call is logged in ``FakeWorld/calls`` with secrets
/// redacted, so tests can assert what was (and was not) called.
package struct FakeProvider: Provider {
    package let name: String
    package let store: FakeWorldStore
    /// The generated password a target gets; tests check it never leaks.
    package static let targetPassword = "Fake-Secret-Pa55word!"

    package init(name: String = "local", store: FakeWorldStore) {
        self.name = name
        self.store = store
    }

    package init(name: String = "local", world: FakeWorld) {
        self.init(name: name, store: FakeWorldStore(world))
    }

    // MARK: - Observe

    package func observe(_ spec: MigrationSpec) async throws -> ObservedMigration {
        let world = try await store.world()
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

    // MARK: - Dry-run

    package func calls(for step: Step, in context: StepContext) -> [ProviderCall] {
        CloudCalls.calls(for: step, in: context, password: FakeProvider.targetPassword)
    }

    // MARK: - Perform

    package func perform(_ step: Step, in context: StepContext) async throws -> StepOutcome {
        try await injectedFailure(step)
        let behaviour = try await store.world().behaviour
        if behaviour.callMilliseconds > 0 { try await Task.sleep(for: .milliseconds(behaviour.callMilliseconds)) }
        let call = calls(for: step, in: context).first?.description ?? step.kind.rawValue
        switch step.kind {
        case .upgradeSourceMinorVersion:
            try await mutate(call) { world in
                world.update(instance: context.resources.sourceId) {
                    $0.observed.minorVersion = "7.0.2.6"
                    $0.observed.syncCapable = true
                }
            }
            return StepOutcome(summary: "minor version upgraded")
        case .createGroup:
            let id: String = try await mutate(call) { world in
                if let existing = world.groups.first(where: { $0.token == context.idempotencyToken }) {
                    return existing.observed.id
                }
                let id = world.makeId("gr-")
                world.groups.append(
                    FakeWorld.Group(
                        ObservedGroup(
                            id: id, name: context.spec.activeActive.name, members: [context.resources.sourceId],
                            tags: [Tags.migration: context.spec.name]
                        ),
                        token: context.idempotencyToken
                    )
                )
                world.update(instance: context.resources.sourceId) { $0.observed.groupId = id }
                return id
            }
            context.operation("req-\(id)")
            return StepOutcome(groupId: id, summary: "group \(id) created")
        case .createTarget:
            let (groupId, targetId) = try await createTarget(call, context)
            context.operation("order-\(targetId)")
            return StepOutcome(groupId: groupId, targetId: targetId, summary: "target \(targetId) created")
        case .renameTarget:
            try await mutate(call) { world in
                world.update(instance: try requireTarget(context)) {
                    $0.observed.name = context.spec.target.instanceName
                }
            }
            return StepOutcome(summary: "renamed")
        case .changeTargetBilling:
            try await mutate(call) { world in
                world.update(instance: try requireTarget(context)) { $0.observed.billing = context.spec.target.billing }
            }
            return StepOutcome(summary: "billing changed")
        case .waitFullSync:
            return try await waitFullSync(context)
        case .verifyData:
            return try await verify(call, context)
        case .checkCutoverGates:
            return try await checkIdle(context)
        case .disconnectSync:
            try await mutate(call) { world in
                let targetId = try requireTarget(context)
                guard let groupId = world.instance(targetId)?.observed.groupId else { return }
                world.update(group: groupId) { $0.observed.members.removeAll { $0 == targetId } }
                world.update(instance: targetId) { $0.observed.groupId = nil }
            }
            return StepOutcome(summary: "sync disconnected; target stands alone")
        case .releaseSource:
            try await mutate(call) { world in
                let sourceId = context.resources.sourceId
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
        case .releaseGroup:
            try await mutate(call) { world in
                let id =
                    context.resources.groupId
                    ?? world.groups.first { $0.observed.createdByMigration == context.spec.name }?.observed.id
                guard let id, let group = world.groups.first(where: { $0.observed.id == id }) else { return }
                for member in group.observed.members { world.update(instance: member) { $0.observed.groupId = nil } }
                world.groups.removeAll { $0.observed.id == id }
            }
            return StepOutcome(summary: "group released")
        }
    }

    private func requireTarget(_ context: StepContext) throws -> String {
        guard let id = context.resources.targetId else {
            throw ProviderError("(fake InvalidInstanceId.NotFound) the target is not known yet; run plan again")
        }
        return id
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

    private func injectedFailure(_ step: Step) async throws {
        let fail: Bool = try await store.change { world in
            guard let index = world.behaviour.failOnce.firstIndex(of: step.kind.rawValue) else { return false }
            world.behaviour.failOnce.remove(at: index)
            return true
        }
        if fail { throw ProviderError("(fake InternalError) injected failure in \(step.kind.rawValue); retry later") }
    }

    private func createTarget(_ call: String, _ context: StepContext) async throws -> (String, String) {
        try await mutate(call) { world in
            let spec = context.spec
            guard
                let groupId = context.resources.groupId
                    ?? world.groups.first(where: { $0.observed.createdByMigration == spec.name })?.observed.id
            else { throw ProviderError("(fake MissingParameter) GlobalInstanceId: the group does not exist") }
            if let existing = world.instances.first(where: { $0.token == context.idempotencyToken }) {
                return (groupId, existing.observed.id)
            }
            guard let source = world.instance(context.resources.sourceId) else {
                throw ProviderError("(fake InvalidInstanceId.NotFound) source \(context.resources.sourceId)")
            }
            let id = world.makeId("r-")
            var target = source.observed
            target.id = id
            target.name = spec.target.instanceName
            target.region = spec.target.region
            target.zone = spec.target.zone
            target.vpcId = spec.target.vpcId
            target.vSwitchId = spec.target.vSwitchId
            target.billing = spec.target.billing
            target.groupId = groupId
            target.tags = [Tags.migration: spec.name]
            world.instances.append(FakeWorld.Instance(target, token: context.idempotencyToken, keys: source.keys))
            world.update(group: groupId) {
                $0.observed.members.append(id)
                $0.progress[id] = 0
            }
            return (groupId, id)
        }
    }

    private func waitFullSync(_ context: StepContext) async throws -> StepOutcome {
        let targetId = try requireTarget(context)
        while true {
            try context.checkInterrupted()
            let (progress, pause): (Double, Int) = try await store.change { world in
                guard let groupId = world.instance(targetId)?.observed.groupId,
                    let group = world.groups.first(where: { $0.observed.id == groupId })
                else { throw ProviderError("(fake) \(targetId) is not in a group; run plan again") }
                let now = min(1, (group.progress[targetId] ?? 0) + world.behaviour.syncStepPerPoll)
                world.update(group: groupId) { $0.progress[targetId] = now }
                return (now, world.behaviour.pollMilliseconds)
            }
            context.progress(StepProgress(fraction: progress, message: "full sync"))
            if progress >= 1 { return StepOutcome(summary: "full sync finished") }
            try await Task.sleep(for: .milliseconds(pause))
        }
    }

    private func verify(_ call: String, _ context: StepContext) async throws -> StepOutcome {
        let targetId = try requireTarget(context)
        let result: ObservedVerification = try await mutate(call) { world in
            let keys = world.instance(context.resources.sourceId)?.keys ?? 0
            let mismatch = world.behaviour.verifyMismatch.contains(context.spec.name)
            let verification = ObservedVerification(
                passed: !mismatch,
                at: ISO8601.string(Date()),
                summary: mismatch
                    ? "3 of \(keys) keys differ (1 missing, 2 value); report in the journal directory"
                    : "\(keys) keys match in 1 db"
            )
            world.verifications[context.spec.name] = verification
            return verification
        }
        context.progress(StepProgress(fraction: 1, message: "verified \(targetId)"))
        guard result.passed else { throw ProviderError("verification failed: \(result.summary)") }
        return StepOutcome(summary: result.summary)
    }

    private func checkIdle(_ context: StepContext) async throws -> StepOutcome {
        let sourceId = context.resources.sourceId
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
