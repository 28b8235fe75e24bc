import Foundation
import KVMoveCore

extension LocalProvider {
    /// Carries out one step; every step is idempotent and a missing resource is a no-op.
    package func perform(_ step: Step, in context: StepContext) async throws -> StepOutcome {
        let sandbox = sandbox(for: context.spec)
        switch step.kind {
        case .upgradeSourceMinorVersion:
            return try await upgrade(context, sandbox)
        case .createGroup:
            return try await createGroup(context, sandbox)
        case .createTarget:
            return try await createTarget(context, sandbox)
        case .renameTarget:
            let id = try requireTarget(context)
            try await sandbox.store.change { state in
                state.update(instance: id) { $0.name = context.spec.target.instanceName }
            }
            return StepOutcome(summary: "renamed")
        case .changeTargetBilling:
            let id = try requireTarget(context)
            try await sandbox.store.change { state in
                state.update(instance: id) { $0.billing = context.spec.target.billing }
            }
            return StepOutcome(summary: "billing changed")
        case .waitFullSync:
            return try await waitFullSync(context, sandbox)
        case .verifyData:
            return try await verify(context, sandbox)
        case .checkCutoverGates:
            return try await checkIdle(context, sandbox)
        case .disconnectSync:
            return try await disconnect(context, sandbox)
        case .releaseSource:
            return try await releaseSource(context, sandbox)
        case .releaseGroup:
            return try await releaseGroup(context, sandbox)
        }
    }

    func requireTarget(_ context: StepContext) throws -> String {
        guard let id = context.resources.targetId else {
            throw ProviderError("(local InvalidInstanceId.NotFound) the target is not known yet; run plan again")
        }
        return id
    }

    private func requireSource(_ context: StepContext, _ sandbox: Sandbox) throws -> InstanceRecord {
        let id = context.resources.sourceId
        guard let source = try sandbox.store.read().instance(id), source.isLive else {
            throw ProviderError(
                "(local InvalidInstanceId.NotFound) source \(id) does not exist in the sandbox "
                    + "\(sandbox.layout.root.path); run kvmove sandbox up, then plan again")
        }
        return source
    }

    // MARK: - Upgrade

    private func upgrade(_ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let source = try requireSource(context, sandbox)
        let id = source.id
        if LocalSandbox.isSyncCapable(source.minorVersion), source.lifecycle == .normal {
            return StepOutcome(summary: "minor version \(source.minorVersion) already runs the sync channel")
        }
        context.operation("upgrade-\(id)-\(context.idempotencyToken)")
        try await sandbox.store.change { $0.update(instance: id) { $0.lifecycle = .changing } }
        context.progress(StepProgress(message: "restarting \(id) with its data kept"))
        let clock = ContinuousClock()
        let started = clock.now
        try await sandbox.stopInstance(id)
        try await sandbox.store.change { state in
            state.update(instance: id) { $0.minorVersion = LocalSandbox.latestMinorVersion }
        }
        try await sandbox.ensureRunning(id)
        let seconds = (clock.now - started).seconds
        return StepOutcome(
            summary: "minor version upgraded to \(LocalSandbox.latestMinorVersion); restarted with data kept "
                + "(\(String(format: "%.1f", seconds)) s disconnect)")
    }

    // MARK: - Group and target

    private func createGroup(_ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let spec = context.spec
        let sourceId = try requireSource(context, sandbox).id
        let id: String = try await sandbox.store.change { state in
            if let existing = state.groups.first(where: {
                $0.token == context.idempotencyToken || $0.tags[Tags.migration] == spec.name
            }) {
                return existing.id
            }
            if let bound = state.instance(sourceId)?.groupId {
                throw ProviderError(
                    "(local SourceInstanceId.AlreadyBound) Source InstanceId already bound to a replica: "
                        + "\(sourceId) is a member of \(bound)")
            }
            let id = LocalSandbox.makeId(prefix: "gr-")
            state.groups.append(
                GroupRecord(
                    id: id, name: spec.activeActive.name, members: [sourceId], tags: [Tags.migration: spec.name],
                    token: context.idempotencyToken))
            state.update(instance: sourceId) { $0.groupId = id }
            return id
        }
        context.operation("req-\(id)")
        return StepOutcome(groupId: id, summary: "group \(id) created")
    }

    private func createTarget(_ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let spec = context.spec
        let source = try requireSource(context, sandbox)
        let state = try sandbox.store.read()
        guard
            let groupId = context.resources.groupId
                ?? state.groups.first(where: { $0.tags[Tags.migration] == spec.name })?.id
        else { throw ProviderError("(local MissingParameter) GlobalInstanceId: the group does not exist") }
        let newId = LocalSandbox.makeId(prefix: "r-")
        let newPort = try sandbox.freePort()
        if !state.instances.contains(where: { $0.token == context.idempotencyToken }) {
            try PasswordFile.write(PasswordFile.generate(), to: sandbox.layout.passwordFile(newId))
        }
        let targetId: String = try await sandbox.store.change { state in
            if let existing = state.instances.first(where: { $0.token == context.idempotencyToken }) {
                return existing.id
            }
            guard state.group(groupId) != nil else {
                throw ProviderError("(local InvalidGlobalInstanceId.NotFound) group \(groupId) does not exist")
            }
            state.instances.append(
                InstanceRecord(
                    id: newId, name: spec.target.instanceName, region: spec.target.region, zone: spec.target.zone,
                    vpcId: spec.target.vpcId, vSwitchId: spec.target.vSwitchId,
                    instanceClass: source.instanceClass, engineVersion: source.engineVersion,
                    minorVersion: source.minorVersion, billing: spec.target.billing,
                    tags: [Tags.migration: spec.name], groupId: groupId, lifecycle: .creating, port: newPort,
                    token: context.idempotencyToken, seeded: true))
            state.update(group: groupId) { group in
                if !group.members.contains(newId) { group.members.append(newId) }
            }
            return newId
        }
        if targetId != newId { try? FileManager.default.removeItem(at: sandbox.layout.instanceDirectory(newId)) }
        context.operation("order-\(targetId)")
        context.progress(StepProgress(message: "starting redis-server for \(targetId)"))
        try await sandbox.ensureRunning(targetId)
        try await startChannel(groupId: groupId, sourceId: source.id, targetId: targetId, sandbox)
        return StepOutcome(groupId: groupId, targetId: targetId, summary: "target \(targetId) created")
    }

    /// Records the group's channel (when missing) and starts its worker (when not running).
    ///
    /// Both members are started first when their processes do not run: a create interrupted
    /// before its server started is finished here, as the cloud finishes an order on its own.
    func startChannel(groupId: String, sourceId: String, targetId: String, _ sandbox: Sandbox) async throws {
        try await sandbox.ensureRunning(sourceId)
        try await sandbox.ensureRunning(targetId)
        try await sandbox.store.change { state in
            state.update(group: groupId) { group in
                if group.channel?.target != targetId {
                    group.channel = ChannelRecord(source: sourceId, target: targetId)
                }
            }
        }
        try await sandbox.ensureWorker(groupId)
    }

    // MARK: - Disconnect and release

    private func disconnect(_ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let targetId = try requireTarget(context)
        guard let groupId = try sandbox.store.read().instance(targetId)?.groupId else {
            return StepOutcome(summary: "target \(targetId) already stands alone")
        }
        try await sandbox.stopWorker(groupId)
        try await sandbox.store.change { state in
            state.update(group: groupId) { group in
                group.members.removeAll { $0 == targetId }
                if group.channel?.target == targetId { group.channel = nil }
            }
            state.update(instance: targetId) { $0.groupId = nil }
            state.groups.removeAll { $0.id == groupId && $0.members.isEmpty }
        }
        return StepOutcome(summary: "sync disconnected; target stands alone")
    }

    private func releaseSource(_ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let id = context.resources.sourceId
        guard let source = try sandbox.store.read().instance(id), source.isLive else {
            return StepOutcome(summary: "source \(id) already released")
        }
        if let groupId = source.groupId, let group = try sandbox.store.read().group(groupId),
            group.members == [id]
        {
            try await sandbox.stopWorker(groupId)
        }
        try await sandbox.store.change { $0.update(instance: id) { $0.lifecycle = .changing } }
        try await sandbox.stopInstance(id)
        try? FileManager.default.removeItem(at: sandbox.layout.dataDirectory(id))
        try? FileManager.default.removeItem(at: sandbox.layout.passwordFile(id))
        try? FileManager.default.removeItem(at: sandbox.layout.pidFile(id))
        try await sandbox.store.change { state in
            if let groupId = state.instance(id)?.groupId {
                state.update(group: groupId) { $0.members.removeAll { $0 == id } }
                // The cloud releases a group whose last member left.
                state.groups.removeAll { $0.id == groupId && $0.members.isEmpty }
            }
            state.update(instance: id) {
                $0.lifecycle = .released
                $0.groupId = nil
                $0.pid = nil
            }
        }
        return StepOutcome(summary: "source released; its process is stopped and its data removed")
    }

    private func releaseGroup(_ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let state = try sandbox.store.read()
        let id =
            context.resources.groupId
            ?? state.groups.first { $0.tags[Tags.migration] == context.spec.name }?.id
        guard let id, state.group(id) != nil else { return StepOutcome(summary: "group already released") }
        try await sandbox.stopWorker(id)
        try await sandbox.store.change { state in
            for member in state.group(id)?.members ?? [] { state.update(instance: member) { $0.groupId = nil } }
            state.groups.removeAll { $0.id == id }
        }
        return StepOutcome(summary: "group released")
    }
}

extension Duration {
    /// The duration in seconds, as a floating point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
