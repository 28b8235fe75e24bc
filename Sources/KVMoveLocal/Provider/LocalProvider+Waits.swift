import Foundation
import KVMoveCore
import KVMoveSync
import NIOCore
import Synchronization

extension LocalProvider {
    // MARK: - Full sync

    /// Polls the channel's phase and progress until the full sync finished, restarting a worker
    /// that died on the way.
    func waitFullSync(_ targetId: String, _ context: StepContext, _ sandbox: Sandbox) async throws -> StepOutcome {
        var restarted = false
        while true {
            try context.checkInterrupted()
            let state = try sandbox.store.read()
            guard let target = state.instance(targetId), target.isLive, let groupId = target.groupId,
                let group = state.group(groupId), let sourceId = group.members.first
            else {
                throw ProviderError(
                    source: .local, code: "InvalidInstanceId.NotInGroup",
                    message: "\(targetId) is not in a group; run plan again")
            }
            guard let channel = group.channel, channel.target == targetId else {
                try await startChannel(
                    groupId: groupId, sourceId: sourceId, targetId: targetId,
                    connection: Self.connection(from: context.settings), sandbox)
                continue
            }
            switch channel.phase {
            case .failed:
                throw ProviderError(
                    source: .local, code: "ChannelFailed",
                    message: "full sync into \(targetId) failed: \(channel.message ?? "no reason given"); see "
                        + "\(sandbox.layout.workerLog(groupId).path). Fix the cause, run kvmove sandbox up to "
                        + "restart the channel worker, then apply again")
            case .synchronized:
                let lag = channel.lagBytes.map { "; streaming, lag \($0) bytes" } ?? ""
                // The group is in sync once writes made on the target reach the source too: until the reverse
                // direction has joined, a write on the target would not be carried.
                let copiedOnce = channel.channelPhase == ChannelRecord.scanCopyPhase
                if !copiedOnce, channel.reverse?.channelPhase != ChannelStatus.Phase.streaming.rawValue {
                    if !ProcessControl.isAlive(channel.pid, as: sandbox.layout.workerIdentity(groupId)) {
                        if try await sandbox.ensureWorker(groupId), !restarted {
                            restarted = true
                            context.progress(
                                StepProgress(message: "the channel worker was not running; restarted it"))
                        }
                    } else {
                        context.progress(
                            StepProgress(
                                fraction: 1,
                                message: "full sync: \(channel.keysDone) keys; the reverse direction is joining "
                                    + "(\(channel.reverse?.message ?? "starting"))"))
                    }
                    try await Task.sleep(for: pollInterval)
                    continue
                }
                let both =
                    copiedOnce
                    ? ""
                    : "; both directions stream (target -> source: lag \(channel.reverse?.lagBytes ?? 0) bytes)"
                context.progress(StepProgress(fraction: 1, message: "full sync: \(channel.keysDone) keys\(lag)"))
                return StepOutcome(summary: "full sync finished (\(channel.keysDone) keys)\(lag)\(both)")
            case .initializing:
                if !ProcessControl.isAlive(channel.pid, as: sandbox.layout.workerIdentity(groupId)) {
                    try await sandbox.ensureRunning(sourceId)
                    try await sandbox.ensureRunning(targetId)
                    if try await sandbox.ensureWorker(groupId), !restarted {
                        restarted = true
                        context.progress(StepProgress(message: "the channel worker was not running; restarted it"))
                    }
                } else {
                    var counts = channel.keysTotal > 0 ? ": \(channel.keysDone) of \(channel.keysTotal) keys" : ""
                    if let bytes = channel.fullSyncBytes, bytes > 0 {
                        counts +=
                            ", \(bytes) RDB bytes"
                            + (channel.fullSyncBytesTotal.map { " of \($0)" } ?? "")
                            + (channel.fullSyncETASeconds.map { String(format: ", ETA %.0f s", $0) } ?? "")
                    }
                    if channel.channelPhase == ChannelStatus.Phase.reconnecting.rawValue {
                        counts += " (reconnecting: \(channel.message ?? ""))"
                    }
                    context.progress(StepProgress(fraction: channel.progress, message: "full sync\(counts)"))
                }
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    // MARK: - Verify

    /// The data plane between two live instances of the sandbox.
    private func dataPlane(
        source sourceId: String, target targetId: String, _ context: StepContext, _ sandbox: Sandbox
    ) throws -> DataPlane {
        let state = try sandbox.store.read()
        func live(_ id: String, _ role: String) throws -> InstanceRecord {
            guard let record = state.instance(id), record.isLive else {
                throw ProviderError(
                    source: .local, code: "InvalidInstanceId.NotFound",
                    message: "\(role) \(id) does not exist; run plan again")
            }
            return record
        }
        let connection = Self.connection(from: context.settings)
        return DataPlane(
            source: try sandbox.endpoint(try live(sourceId, "source"), connection: connection),
            target: try sandbox.endpoint(try live(targetId, "target"), connection: connection))
    }

    /// Compares source and target key by key through the data plane, writes the JSON report and records
    /// the result.
    func verify(
        source sourceId: String, target targetId: String, ttlToleranceMilliseconds tolerance: Int,
        maxReadsPerSecond: Int,
        _ context: StepContext, _ sandbox: Sandbox
    ) async throws -> StepOutcome {
        let dataPlane = try self.dataPlane(source: sourceId, target: targetId, context, sandbox)
        let throttle = ProgressThrottle(every: .milliseconds(250))
        // Keys that differ while the members are written are compared again once the channel has carried
        // what was written on either side.
        let live = try await liveChannel(targetId, context, sandbox)
        let catchUp: (@Sendable () async throws -> Void)? = live.map { live in
            let timeout = drainTimeout
            let store = sandbox.store
            return {
                try await Self.catchUp(
                    live.channel, twoWay: live.record.reverse != nil, timeout: timeout, reported: (store, live.groupId))
            }
        }
        // Which keys the channel found written on both members, as the worker last reported them (asked for
        // the keys that still differ, after the catch-up).
        let layout = sandbox.layout
        let groupId = live?.groupId
        let writtenOnBothSides: @Sendable (Int, ByteBuffer) -> Bool = { database, key in
            let record = groupId.flatMap { try? SandboxStore(layout: layout).read().group($0)?.channel }
            let hex = ConflictKeyRecord(database: database, bytes: Array(key.readableBytesView), printable: "").keyHex
            return (record?.conflictKeys ?? []).contains { $0.database == database && $0.keyHex == hex }
        }
        let report = try await dataPlane.verify(
            options: Verifier.Options(
                ttlToleranceMilliseconds: tolerance, writtenOnBothSides: live == nil ? nil : writtenOnBothSides,
                maxReadsPerSecond: maxReadsPerSecond),
            catchUp: catchUp
        ) {
            done, total in
            guard throttle.shouldReport(done: done, total: total) else { return }
            context.progress(
                StepProgress(
                    fraction: total > 0 ? min(1, Double(done) / Double(total)) : nil,
                    message: "verifying: \(done) of \(total) keys"))
        }
        let now = Date()
        let directory =
            context.stateDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("reports") }
            ?? sandbox.layout.reportsDirectory
        let file = try report.write(toDirectory: directory, migration: context.migration, date: now)
        let record = VerificationRecord(
            passed: report.passed, at: ISO8601.string(now), summary: report.summary, report: file.path)
        try await sandbox.store.change { $0.verifications[context.migration] = record }
        let shown = DisplayPath.relative(file.path)
        guard report.passed else {
            throw ProviderError(
                source: .redis, code: "VerificationFailed",
                message: "verification failed: \(report.summary); report: \(shown)")
        }
        return StepOutcome(summary: "\(report.summary); report: \(shown)")
    }

    /// Waits until each direction of `channel` has carried what its side had written when called, and the
    /// worker has reported that much (its report carries the keys written on both members up to there).
    ///
    /// - Throws: a `CatchUpTimedOut` sandbox error at `timeout`, saying how far behind each direction was: a
    ///   re-check after a catch-up that did not happen would report keys that are merely in flight.
    package static func catchUp(
        _ channel: TwoWayChannel, twoWay: Bool, timeout: Duration, reported: (store: SandboxStore, groupId: String)
    ) async throws {
        let probe = TwoWayProbe(channel, twoWay: twoWay)
        defer { Task { await probe.close() } }
        let goal = try await probe.goal()
        let deadline = ContinuousClock.now + timeout
        var last = (forward: Int64(0), reverse: Int64(0))
        var reportedDone = false
        while ContinuousClock.now < deadline {
            let behind = try await probe.behind(goal)
            last = (behind.0, behind.1)
            let record = try? reported.store.read().group(reported.groupId)?.channel
            reportedDone =
                (record?.appliedOffset ?? -1) >= goal.source
                && goal.target.map { (record?.reverse?.appliedOffset ?? -1) >= $0 } ?? true
            if behind == (0, 0) && reportedDone { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProviderError.sandbox(
            "CatchUpTimedOut",
            "the channel of \(reported.groupId) did not catch up within \(timeout): the forward direction was "
                + "\(last.forward) bytes behind, the reverse \(last.reverse)"
                + (reportedDone ? "" : ", and the worker had not reported that far")
                + "; see kvmove sandbox status, then run apply again")
    }

    // MARK: - Write gate

    /// Waits until no application write has reached the source for `required`; Ctrl-C ends the wait.
    ///
    /// That is: the forward direction of the group's channel has carried no write (only the reverse
    /// direction's own, which it passes over) for that long, and it is caught up.
    func checkNoSourceWrites(target targetId: String, required: Duration, _ context: StepContext, _ sandbox: Sandbox)
        async throws -> StepOutcome
    {
        var quietSince: (writes: Int, pid: Int32?, at: ContinuousClock.Instant)?
        let requiredText = formatSeconds(Int(required.seconds.rounded(.up)))
        while true {
            try context.checkInterrupted()
            guard let (groupId, _, record) = try await liveChannel(targetId, context, sandbox),
                record.channelPhase == ChannelStatus.Phase.streaming.rawValue
                    || record.channelPhase == ChannelStatus.Phase.reconnecting.rawValue
            else {
                throw ProviderError(
                    source: .local, code: "ChannelNotLive",
                    message: "no live channel streams into \(targetId), so the source's writes cannot be counted; "
                        + "see kvmove sandbox status, fix the channel, then apply again")
            }
            let now = ContinuousClock.now
            let writes = record.applicationWrites ?? 0
            if let since = quietSince, since.writes == writes, since.pid == record.pid {
                let quiet = now - since.at
                if quiet >= required, record.lagBytes == 0 {
                    let carried = record.reverse.map {
                        ", while \($0.applicationWrites) writes of the target's reached it"
                    }
                    return StepOutcome(
                        summary: "no application write on the source for \(requiredText)\(carried ?? "") "
                            + "(group \(groupId))")
                }
                context.progress(
                    StepProgress(
                        fraction: min(1, quiet.seconds / max(0.001, required.seconds)),
                        message: "no application write on the source for \(formatSeconds(Int(quiet.seconds))) "
                            + "of \(requiredText)" + (record.lagBytes == 0 ? "" : "; the channel is catching up")))
            } else {
                if quietSince != nil {
                    context.progress(StepProgress(fraction: 0, message: "the source took application writes; waiting"))
                }
                quietSince = (writes, record.pid, now)
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    // MARK: - Idle gate

    /// Waits through the data plane's idle gate until the source has had no application connected for
    /// `required` seconds; Ctrl-C ends the wait.
    func checkIdle(
        source sourceId: String, target targetId: String, required seconds: Int, _ context: StepContext,
        _ sandbox: Sandbox
    ) async throws -> StepOutcome {
        let required = Duration.seconds(seconds)
        try context.checkInterrupted()
        let dataPlane = try self.dataPlane(source: sourceId, target: targetId, context, sandbox)
        let samplingInterval = min(pollInterval * 2, .seconds(1))
        let result = try await cancellingOnInterrupt(context) {
            try await dataPlane.waitForIdleSource(for: required, pollInterval: samplingInterval) { progress in
                context.progress(StepProgress(fraction: progress.fraction, message: progress.message))
            }
        }
        return StepOutcome(summary: result.summary)
    }

    /// Runs `body`, cancelling it and throwing ``ApplyInterrupted`` once the user asks to stop.
    private func cancellingOnInterrupt<T: Sendable>(
        _ context: StepContext,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while !context.isInterrupted { try await Task.sleep(for: .milliseconds(100)) }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw ApplyInterrupted() }
            return value
        }
    }
}
