import Foundation
import KVMoveCore
import KVMoveSync
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
                try await startChannel(groupId: groupId, sourceId: sourceId, targetId: targetId, sandbox)
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
                context.progress(StepProgress(fraction: 1, message: "full sync: \(channel.keysDone) keys"))
                return StepOutcome(summary: "full sync finished (\(channel.keysDone) keys)")
            case .initializing:
                if !ProcessControl.isAlive(channel.pid) {
                    try await sandbox.ensureRunning(sourceId)
                    try await sandbox.ensureRunning(targetId)
                    if try await sandbox.ensureWorker(groupId), !restarted {
                        restarted = true
                        context.progress(StepProgress(message: "the channel worker was not running; restarted it"))
                    }
                } else {
                    let counts = channel.keysTotal > 0 ? ": \(channel.keysDone) of \(channel.keysTotal) keys" : ""
                    context.progress(StepProgress(fraction: channel.progress, message: "full sync\(counts)"))
                }
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    // MARK: - Verify

    /// Compares source and target key by key, writes the JSON report and records the result.
    func verify(source sourceId: String, target targetId: String, _ context: StepContext, _ sandbox: Sandbox)
        async throws -> StepOutcome
    {
        let state = try sandbox.store.read()
        guard let source = state.instance(sourceId), source.isLive else {
            throw ProviderError(
                source: .local, code: "InvalidInstanceId.NotFound",
                message: "source \(sourceId) does not exist; run plan again")
        }
        guard let target = state.instance(targetId), target.isLive else {
            throw ProviderError(
                source: .local, code: "InvalidInstanceId.NotFound",
                message: "target \(targetId) does not exist; run plan again")
        }
        let verifier = Verifier(source: try sandbox.endpoint(source), target: try sandbox.endpoint(target))
        let lastReport = Mutex(ContinuousClock.now - .seconds(1))
        let report = try await verifier.run { done, total in
            let due = lastReport.withLock { last in
                guard done >= total || ContinuousClock.now - last >= .milliseconds(250) else { return false }
                last = ContinuousClock.now
                return true
            }
            guard due else { return }
            context.progress(
                StepProgress(
                    fraction: total > 0 ? min(1, Double(done) / Double(total)) : nil,
                    message: "verifying: \(done) of \(total) keys"))
        }
        let now = Date()
        let directory =
            context.stateDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("reports") }
            ?? sandbox.layout.reportsDirectory
        let file = directory.appendingPathComponent("\(context.migration)-verify-\(Self.fileStamp(now)).json")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(report), to: file)
        let record = VerificationRecord(
            passed: report.passed, at: ISO8601.string(now), summary: report.summary, report: file.path)
        try await sandbox.store.change { $0.verifications[context.migration] = record }
        let shown = DisplayPath.relative(file.path)
        guard report.passed else {
            throw ProviderError(
                source: .redis, code: "VerificationFailed", message: "verification failed: \(report.summary); report: \(shown)")
        }
        return StepOutcome(summary: "\(report.summary); report: \(shown)")
    }

    /// `20260102T030405Z`: a timestamp that is safe in file names.
    static func fileStamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(c.year ?? 0)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }

    // MARK: - Idle gate

    /// Waits until the source has had no client but kvmove connected, and has processed no
    /// command but the probe's own, for `requireIdleSource` seconds.
    func checkIdle(source sourceId: String, required seconds: Int, _ context: StepContext, _ sandbox: Sandbox)
        async throws -> StepOutcome
    {
        let required = Double(seconds)
        guard let source = try sandbox.store.read().instance(sourceId), source.isLive else {
            throw ProviderError(
                source: .local, code: "InvalidInstanceId.NotFound",
                message: "source \(sourceId) does not exist; run plan again")
        }
        let probe = ActivityProbe(endpoint: try sandbox.endpoint(source))
        // What one sample costs in commands: the least growth between back-to-back samples.
        var previous = try await probe.sample()
        let second = try await probe.sample()
        let third = try await probe.sample()
        let own = max(
            0,
            min(
                second.commandsProcessed - previous.commandsProcessed,
                third.commandsProcessed - second.commandsProcessed))
        previous = third
        let clock = ContinuousClock()
        var idleSince: ContinuousClock.Instant? = third.otherClients.isEmpty ? clock.now : nil
        while true {
            try context.checkInterrupted()
            if let idleSince, (clock.now - idleSince).seconds >= required {
                return StepOutcome(
                    summary: "source idle for \(formatSeconds(Int(required))): no clients but kvmove, no commands")
            }
            try await Task.sleep(for: min(pollInterval * 2, .seconds(1)))
            let sample = try await probe.sample()
            let commands = sample.commandsProcessed - previous.commandsProcessed - own
            previous = sample
            if !sample.otherClients.isEmpty {
                idleSince = nil
                let count = sample.otherClients.count
                context.progress(
                    StepProgress(
                        message: "\(count) client\(count == 1 ? "" : "s") connected: "
                            + sample.otherClients.prefix(3).joined(separator: ", ")
                            + (count > 3 ? ", …" : "")))
            } else if commands > 0 {
                idleSince = nil
                context.progress(
                    StepProgress(
                        message: "no clients connected, but \(commands) commands were processed since the "
                            + "last check"))
            } else {
                let since = idleSince ?? clock.now
                idleSince = since
                let idle = (clock.now - since).seconds
                context.progress(
                    StepProgress(
                        fraction: required > 0 ? min(1, idle / required) : 1,
                        message: "source idle for \(Int(idle))s of \(formatSeconds(Int(required)))"))
            }
        }
    }
}
