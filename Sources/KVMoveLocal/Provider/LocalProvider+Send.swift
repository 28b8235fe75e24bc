import Foundation
import KVMoveCore
import KVMoveRESP
import KVMoveSecret
import KVMoveSync

extension LocalProvider {
    /// Carries out one request; every request is idempotent and a missing resource is a no-op.
    package func send(_ request: ProviderRequest, for step: Step, in context: StepContext) async throws
        -> StepOutcome
    {
        let sandbox = try sandbox(for: context)
        do {
            return try await carryOut(request, step: step, context: context, sandbox)
        } catch let error as ProviderError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch is ApplyInterrupted {
            throw ApplyInterrupted()
        } catch {
            throw ProviderError(redis: error)
        }
    }

    private func carryOut(_ request: ProviderRequest, step: Step, context: StepContext, _ sandbox: Sandbox)
        async throws -> StepOutcome
    {
        switch request.action {
        case "UpgradeMinorVersion":
            return try await upgrade(try text(request, "InstanceId"), context, sandbox)
        case "CreateGroup":
            return try await createGroup(request, step, context, sandbox)
        case "CreateInstance":
            return try await createTarget(request, step, context, sandbox)
        case "StartChannel":
            let groupId = try text(request, "GroupId")
            try await startChannel(
                groupId: groupId, sourceId: try text(request, "SourceInstanceId"),
                targetId: try text(request, "TargetInstanceId"), connection: Self.connection(from: context.settings),
                sandbox)
            return StepOutcome(summary: "channel of \(groupId) started")
        case "RenameInstance":
            let id = try text(request, "InstanceId")
            let name = try text(request, "InstanceName")
            try await sandbox.store.change { state in state.update(instance: id) { $0.name = name } }
            return StepOutcome(summary: "renamed")
        case "ChangeBilling":
            guard case .billing(let planned) = step.planned else { throw mismatch(request, step) }
            try await sandbox.store.change { state in
                state.update(instance: planned.instanceId) { $0.billing = planned.billing }
            }
            return StepOutcome(summary: "billing changed")
        case "DescribeChannel":
            return try await waitFullSync(try text(request, "TargetInstanceId"), context, sandbox)
        case "Verify":
            return try await verify(
                source: try text(request, "SourceInstanceId"), target: try text(request, "TargetInstanceId"),
                ttlToleranceMilliseconds: Int(try text(request, "TTLToleranceMs")) ?? 2000,
                maxReadsPerSecond: Int(try text(request, "MaxReadsPerSecond")) ?? VerifySpec.defaultMaxReadsPerSecond,
                context, sandbox)
        case "WaitForIdleSource":
            guard case .gates(let planned) = step.planned else { throw mismatch(request, step) }
            return try await checkIdle(
                source: planned.sourceInstanceId, target: try text(request, "TargetInstanceId"),
                required: planned.requireIdleSourceSeconds ?? 0, context, sandbox)
        case "WaitForNoSourceWrites":
            guard case .gates(let planned) = step.planned, let seconds = planned.requireNoSourceWritesSeconds else {
                throw mismatch(request, step)
            }
            return try await checkNoSourceWrites(
                target: try text(request, "TargetInstanceId"), required: .seconds(seconds), context, sandbox)
        case "WaitForLag":
            guard case .gates(let planned) = step.planned, let seconds = planned.maxLagSeconds else {
                throw mismatch(request, step)
            }
            return try await checkLag(
                target: try text(request, "TargetInstanceId"), maxLag: .seconds(seconds), context, sandbox)
        case "RemoveMember":
            return try await disconnect(try text(request, "TargetInstanceId"), context, sandbox)
        case "DeleteInstance":
            return try await releaseSource(try text(request, "InstanceId"), sandbox)
        case "DeleteGroup":
            return try await releaseGroup(request.text("GroupId"), migration: context.migration, sandbox)
        default:
            throw mismatch(request, step)
        }
    }

    /// The plain value of a parameter the request must have.
    func text(_ request: ProviderRequest, _ name: String) throws -> String {
        guard let value = request.text(name) else {
            throw ProviderError(
                source: .local, code: "MissingParameter",
                message: "\(request.action) has no value for \(name); run plan again")
        }
        return value
    }

    private func mismatch(_ request: ProviderRequest, _ step: Step) -> ProviderError {
        .requestMismatch(request, step, source: .local)
    }

    private func requireSource(_ id: String, _ sandbox: Sandbox) throws -> InstanceRecord {
        guard let source = try sandbox.store.read().instance(id), source.isLive else {
            throw ProviderError(
                source: .local, code: "InvalidInstanceId.NotFound",
                message:
                    "source \(id) does not exist in the sandbox \(DisplayPath.relative(sandbox.layout.root.path)); "
                    + "run kvmove sandbox up, then plan again")
        }
        return source
    }

    // MARK: - Upgrade

    private func upgrade(_ id: String, _ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        let source = try requireSource(id, sandbox)
        if LocalSandbox.isSyncCapable(source.minorVersion), source.lifecycle == .normal {
            return StepOutcome(summary: "minor version \(source.minorVersion) already runs the sync channel")
        }
        try context.operation("upgrade-\(id)-\(context.idempotencyToken)")
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

    private func createGroup(_ request: ProviderRequest, _ step: Step, _ context: StepContext, _ sandbox: Sandbox)
        async throws -> StepOutcome
    {
        guard case .group(let planned) = step.planned else { throw mismatch(request, step) }
        let sourceId = try requireSource(planned.seedInstanceId, sandbox).id
        let token = try text(request, "Token")
        let migration = context.migration
        let id: String = try await sandbox.store.change { state in
            if let existing = state.groups.first(where: {
                $0.token == token || $0.tags[Tags.migration] == migration
            }) {
                return existing.id
            }
            if let bound = state.instance(sourceId)?.groupId {
                throw ProviderError(
                    source: .local, code: "SourceInstanceId.AlreadyBound",
                    message: "Source InstanceId already bound to a replica: \(sourceId) is a member of \(bound)")
            }
            let id = LocalSandbox.makeId(prefix: "gr-")
            state.groups.append(
                GroupRecord(id: id, name: planned.name, members: [sourceId], tags: planned.tags, token: token))
            state.update(instance: sourceId) { $0.groupId = id }
            return id
        }
        try context.operation("req-\(id)")
        return StepOutcome(groupId: id, summary: "group \(id) created")
    }

    private func createTarget(_ request: ProviderRequest, _ step: Step, _ context: StepContext, _ sandbox: Sandbox)
        async throws -> StepOutcome
    {
        guard case .target(let planned) = step.planned, let password = request.secret("Password") else {
            throw mismatch(request, step)
        }
        let token = try text(request, "Token")
        let groupId = try text(request, "GroupId")
        _ = try requireSource(planned.sourceInstanceId, sandbox)
        let state = try sandbox.store.read()
        let newId = LocalSandbox.makeId(prefix: "r-")
        let newPort = try sandbox.freePort()
        if !state.instances.contains(where: { $0.token == token }) {
            try PasswordFile.write(password.reveal(), to: sandbox.layout.passwordFile(newId))
        }
        let targetId: String = try await sandbox.store.change { state in
            if let existing = state.instances.first(where: { $0.token == token }) {
                return existing.id
            }
            guard state.group(groupId) != nil else {
                throw ProviderError(
                    source: .local, code: "InvalidGlobalInstanceId.NotFound", message: "group \(groupId) does not exist"
                )
            }
            let minorVersion = state.instance(planned.sourceInstanceId)?.minorVersion ?? LocalSandbox.latestMinorVersion
            state.instances.append(
                InstanceRecord(
                    id: newId, name: planned.name, region: planned.region, zone: planned.zone,
                    vpcId: planned.vpcId, vSwitchId: planned.vSwitchId,
                    instanceClass: planned.instanceClass, engineVersion: planned.engineVersion,
                    minorVersion: minorVersion, billing: planned.billing,
                    tags: planned.tags, groupId: groupId, lifecycle: .creating, port: newPort,
                    token: token, seeded: true))
            state.update(group: groupId) { group in
                if !group.members.contains(newId) { group.members.append(newId) }
            }
            return newId
        }
        if targetId != newId {
            // A create that already happened (a resumed apply): the password file written above is not needed.
            try? FileManager.default.removeItem(at: sandbox.layout.instanceDirectory(newId))
        }
        try context.operation("order-\(targetId)")
        context.progress(StepProgress(message: "starting redis-server for \(targetId)"))
        try await sandbox.ensureRunning(targetId)
        return StepOutcome(groupId: groupId, targetId: targetId, summary: "target \(targetId) created")
    }

    /// Records the group's channel (when missing) and starts its worker (when not running).
    ///
    /// Both members are started first when their processes do not run: a create interrupted
    /// before its server started is finished here, as the cloud finishes an order on its own.
    ///
    /// The channel takes `connection`'s timeouts; the worker reads them when it (re)starts.
    func startChannel(
        groupId: String, sourceId: String, targetId: String, connection: ConnectionSpec?, _ sandbox: Sandbox
    ) async throws {
        try await sandbox.ensureRunning(sourceId)
        try await sandbox.ensureRunning(targetId)
        try await sandbox.store.change { state in
            state.update(group: groupId) { group in
                if group.channel?.target != targetId {
                    group.channel = ChannelRecord(source: sourceId, target: targetId)
                }
                group.channel?.commandTimeoutSeconds = connection?.commandTimeoutSeconds
                group.channel?.replicationTimeoutSeconds = connection?.replicationTimeoutSeconds
            }
        }
        try await sandbox.ensureWorker(groupId)
    }

    // MARK: - Disconnect and release

    private func disconnect(_ targetId: String, _ context: StepContext, _ sandbox: Sandbox) async throws
        -> StepOutcome
    {
        guard let groupId = try sandbox.store.read().instance(targetId)?.groupId else {
            return StepOutcome(summary: "target \(targetId) already stands alone")
        }
        let drained = try await drain(groupId: groupId, targetId: targetId, context, sandbox)
        try await sandbox.stopWorker(groupId)
        // The checkpoint keys are gone, or the step says which is left and how to delete it.
        var left: [String] = []
        if let channel = drained.channel {
            let sourceId = try sandbox.store.read().group(groupId)?.channel?.source ?? "the source"
            for (direction, member) in [(channel.forward, targetId), (channel.reverse, sourceId)] {
                do {
                    try await direction.removeCheckpoint()
                } catch {
                    left.append(
                        "the channel's checkpoint key \(direction.checkpointKey) is still in db 0 of \(member) "
                            + "(\(error)); delete it there with DEL \(direction.checkpointKey)")
                }
            }
        }
        try await sandbox.store.change { state in
            state.update(group: groupId) { group in
                group.members.removeAll { $0 == targetId }
                if group.channel?.target == targetId { group.channel = nil }
            }
            state.update(instance: targetId) { $0.groupId = nil }
            state.groups.removeAll { $0.id == groupId && $0.members.isEmpty }
        }
        return StepOutcome(
            summary: "sync disconnected\(drained.summary); target stands alone",
            warning: left.isEmpty ? nil : left.joined(separator: "; "))
    }

    /// The live two-way channel of the group that `targetId` is in; nil when none streams into it.
    ///
    /// A channel that never streamed (a scan copy, a failed channel) has nothing to probe. A worker that is
    /// not running is started again first: the channel must be live for as long as the target is a member.
    func liveChannel(_ targetId: String, _ context: StepContext, _ sandbox: Sandbox) async throws
        -> (groupId: String, channel: TwoWayChannel, record: ChannelRecord)?
    {
        let state = try sandbox.store.read()
        guard let groupId = state.instance(targetId)?.groupId, let record = state.group(groupId)?.channel,
            record.target == targetId, let source = state.instance(record.source), source.isLive,
            let target = state.instance(targetId), record.channelPhase != ChannelRecord.scanCopyPhase,
            record.phase != .failed
        else { return nil }
        if try await sandbox.ensureWorker(groupId) {
            context.progress(StepProgress(message: "the channel worker was not running; restarted it"))
        }
        let connection = Self.connection(from: context.settings)
        let channel = TwoWayChannel(
            source: try sandbox.endpoint(source, connection: connection),
            target: try sandbox.endpoint(target, connection: connection), name: groupId)
        return (groupId, channel, record)
    }

    /// Waits until both directions of the live channel have applied everything written on their side when
    /// the step started: the source's writes on the target, and the target's writes on the source.
    ///
    /// Reads each side's `master_repl_offset` once, then polls what each direction has applied (its checkpoint
    /// in the member it writes, and the position its connection there is named after, which also counts the
    /// other direction's blocks it passed over) until both reach those offsets.
    private func drain(groupId: String, targetId: String, _ context: StepContext, _ sandbox: Sandbox) async throws
        -> (channel: TwoWayChannel?, summary: String)
    {
        guard let (_, channel, record) = try await liveChannel(targetId, context, sandbox) else { return (nil, "") }
        // A group whose reverse direction never joined (it stopped at once) drains one way.
        let probe = TwoWayProbe(channel, twoWay: record.reverse != nil)
        defer { Task { await probe.close() } }
        let goal = try await probe.goal()
        let deadline = ContinuousClock.now + drainTimeout
        while true {
            try context.checkInterrupted()
            let (sourceBehind, targetBehind) = try await probe.behind(goal)
            if sourceBehind == 0, targetBehind == 0 {
                let counts = try? sandbox.store.read().group(groupId)?.channel
                let history =
                    counts.map {
                        " (this worker: \($0.fullSyncs ?? 0) full syncs, \($0.continues ?? 0) continues, "
                            + "\($0.errorReplies ?? 0) error replies; application writes carried: "
                            + "\($0.applicationWrites ?? 0) from the source"
                            + ($0.reverse.map { ", \($0.applicationWrites) from the target" } ?? "") + ")"
                    } ?? ""
                let both = goal.target.map { " and target offset \($0)" } ?? ""
                return (channel, "; drained to source offset \(goal.source)\(both)\(history)")
            }
            guard ContinuousClock.now < deadline else {
                throw ProviderError(
                    source: .local, code: "ChannelNotDrained",
                    message: "within \(Int(drainTimeout.seconds)) s the channel did not apply everything: "
                        + "\(sourceBehind) bytes of the source's writes and \(targetBehind) bytes of the target's "
                        + "are still to go; sync is still connected. Check kvmove sandbox status (lag, errors), then "
                        + "apply again", retry: .backoff)
            }
            context.progress(
                StepProgress(
                    message: "draining the channel: \(sourceBehind) bytes of the source's writes"
                        + (probe.isTwoWay ? " and \(targetBehind) bytes of the target's" : "") + " to go"))
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The `cutover.maxLag` gate on the live channel into `targetId`.
    func checkLag(target targetId: String, maxLag: Duration, _ context: StepContext, _ sandbox: Sandbox) async throws
        -> StepOutcome
    {
        guard let (_, channel, _) = try await liveChannel(targetId, context, sandbox) else {
            throw ProviderError(
                source: .local, code: "ChannelNotLive",
                message: "no live channel streams into \(targetId) (it failed, or the source refused PSYNC and was "
                    + "copied once), so its lag cannot be measured and later writes are not carried; see kvmove "
                    + "sandbox status, fix the channel, then apply again")
        }
        let sample = try await LagGate(maxLag: maxLag).wait(
            using: ChannelLagProbe(channel.forward), interrupted: context.checkInterrupted,
            progress: { context.progress(StepProgress(message: $0.message)) })
        return StepOutcome(summary: sample.message)
    }

    private func releaseSource(_ id: String, _ sandbox: Sandbox) async throws -> StepOutcome {
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
        for file in [sandbox.layout.dataDirectory(id), sandbox.layout.passwordFile(id), sandbox.layout.pidFile(id)]
        where FileManager.default.fileExists(atPath: file.path) {
            try FileManager.default.removeItem(at: file)
        }
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

    private func releaseGroup(_ groupId: String?, migration: String, _ sandbox: Sandbox) async throws -> StepOutcome {
        let state = try sandbox.store.read()
        let id = groupId ?? state.groups.first { $0.tags[Tags.migration] == migration }?.id
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
