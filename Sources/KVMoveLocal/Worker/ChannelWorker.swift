import Foundation
import KVMoveCore
import KVMoveRESP
import KVMoveSync
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The background process behind a group's sync channel, as the cloud runs one per group.
///
/// It runs the group's live two-way channel (``TwoWayChannel``): a replica of the source that applies the
/// source's snapshot to the target and then every write of the command stream, and, once that full sync is
/// done, a replica of the target that applies every write made on the target to the source; both continue
/// after cut connections and restarts from the checkpoints the members hold. The process is a supervised
/// `ServiceGroup` (swift-service-lifecycle) of three services:
///
/// - the channel itself (or, for a source that refuses `PSYNC`, one ``ScanCopier`` copy, after which status
///   says later writes are not carried);
/// - the reporter, which writes the channel's phase, full-sync progress, offsets, lag and rate to the
///   sandbox state every ``progressInterval``, and the applied position to `groups/<id>/checkpoint.json`;
/// - the watch, which ends the group once the channel is no longer this worker's (disconnect, release,
///   `sandbox down`).
///
/// SIGTERM or SIGINT shut the group down gracefully: the channel stops reading, applies everything it has
/// read (a batch and its checkpoint are one transaction on the target, so the target holds both or
/// neither), and the worker writes the target's checkpoint to the file and the state before it exits. A failure that needs
/// attention sets the phase `failed` with a password-free message, and the worker exits 1.
package struct ChannelWorker: Sendable {
    package let layout: SandboxLayout
    package let groupId: String
    /// How often the watch checks that the worker is still wanted.
    package var pollInterval: Duration = .seconds(1)
    /// How often status is written to the state.
    package var progressInterval: Duration = .milliseconds(500)

    package init(layout: SandboxLayout, groupId: String) {
        self.layout = layout
        self.groupId = groupId
    }

    var store: SandboxStore { SandboxStore(layout: layout) }

    /// Runs the worker until it is stopped or its work is gone; returns the exit code.
    package func run(log: @escaping @Sendable (String) -> Void = { print($0) }) async -> Int32 {
        let me = getpid()
        let claimed: ChannelRecord?
        do {
            claimed = try await claim(me)
        } catch {
            log("worker \(groupId): cannot read the sandbox state: \(error)")
            return 1
        }
        guard let channel = claimed else {
            log("worker \(groupId): the group has no channel, or another worker runs it; exiting")
            return 0
        }
        log("worker \(groupId) (pid \(me)): \(channel.source) -> \(channel.target)")
        let endpoints: (source: RedisEndpoint, target: RedisEndpoint)
        do {
            endpoints = try self.endpoints(channel)
        } catch {
            return await fail(error, channel, log: log)
        }
        let live = TwoWayChannel(
            source: endpoints.source, target: endpoints.target, name: groupId,
            options: ReplicaChannel.Options(
                spoolDirectory: layout.groupDirectory(groupId).path,
                // The sandbox's servers are local: the target can reach a relay here and load the snapshot itself.
                relayHost: "127.0.0.1"))
        let status = ChannelStatus()
        let reverseStatus = ChannelStatus()
        let outcome = ExitCodeBox()
        var logger = Logger(label: "kvmove.worker")
        logger.logLevel = .notice
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: ChannelService(
                    worker: self, live: live, status: status, reverseStatus: reverseStatus, channel: channel,
                    outcome: outcome, log: log),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: ChannelReporter(
                    worker: self, status: status, source: endpoints.source,
                    reverse: (reverseStatus, endpoints.target), ledger: live.ledger),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: WantedWatch(worker: self, pid: me),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
                logger: logger))
        do {
            try await group.run()
        } catch {
            log("worker \(groupId): \(redacted("\(error)", channel))")
        }
        // The target's checkpoint is the truth: the file and the state end on it.
        let applied = try? await live.forward.appliedPosition()
        let reverseApplied = try? await live.reverse.appliedPosition()
        await ChannelReporter(
            worker: self, status: status, source: endpoints.source, reverse: (reverseStatus, endpoints.target),
            ledger: live.ledger
        ).finish(applied: applied, reverseApplied: reverseApplied)
        let code = outcome.value
        log("worker \(groupId): stopped (\(code == 0 ? "checkpoint saved" : "failed"))")
        return code
    }

    /// Records this process as the channel's worker, unless another live worker has it.
    private func claim(_ me: Int32) async throws -> ChannelRecord? {
        try await store.change { state -> ChannelRecord? in
            guard let group = state.group(groupId), var channel = group.channel else { return nil }
            if let pid = channel.pid, pid != me, ProcessControl.isAlive(pid) { return nil }
            channel.pid = me
            if channel.phase != .synchronized {
                channel.phase = .initializing
                channel.message = "connecting to the source as a replica"
            }
            let recorded = channel
            state.update(group: groupId) { $0.channel = recorded }
            return channel
        }
    }

    /// Sets the phase `failed` with a password-free message; returns the exit code.
    func fail(_ error: any Error, _ channel: ChannelRecord, log: @escaping @Sendable (String) -> Void) async -> Int32 {
        let message = redacted("\(error)", channel)
        log("worker \(groupId): the channel failed: \(message)")
        try? await record {
            $0.phase = .failed
            $0.channelPhase = ChannelStatus.Phase.failed.rawValue
            $0.message = message
        }
        return 1
    }

    private func endpoints(_ channel: ChannelRecord) throws -> (source: RedisEndpoint, target: RedisEndpoint) {
        let state = try store.read()
        guard let source = state.instance(channel.source), source.isLive else {
            throw ProviderError.sandbox("InvalidInstanceId.NotFound", "source \(channel.source) does not exist")
        }
        guard let target = state.instance(channel.target), target.isLive else {
            throw ProviderError.sandbox("InvalidInstanceId.NotFound", "target \(channel.target) does not exist")
        }
        let sandbox = Sandbox(layout: layout, worker: WorkerLauncher(executable: ""))
        let timeouts = ConnectionSpec(
            commandTimeoutSeconds: channel.commandTimeoutSeconds,
            replicationTimeoutSeconds: channel.replicationTimeoutSeconds)
        return (try sandbox.endpoint(source, connection: timeouts), try sandbox.endpoint(target, connection: timeouts))
    }

    /// Copies the source once with the scan copier, for a source that refuses `PSYNC`.
    func scanCopy(_ channel: ChannelRecord) async throws {
        let (source, target) = try endpoints(channel)
        let copier = ScanCopier(source: source, target: target)
        let latest = Mutex<CopyProgress?>(nil)
        let reporter = Task {
            var written: CopyProgress?
            while !Task.isCancelled {
                try? await Task.sleep(for: progressInterval)
                let now = latest.withLock { $0 }
                guard let now, now != written else { continue }
                written = now
                try? await record {
                    $0.keysDone = now.keysDone
                    $0.keysTotal = now.keysTotal
                    $0.progress = now.keysTotal > 0 ? min(0.99, Double(now.keysDone) / Double(now.keysTotal)) : 0
                    $0.message = "copying db \(now.database): \(now.keysDone) of \(now.keysTotal) keys"
                }
            }
        }
        defer { reporter.cancel() }
        let report = try await copier.run { progress in latest.withLock { $0 = progress } }
        reporter.cancel()
        _ = await reporter.result
        let seconds = String(format: "%.1f", report.seconds)
        try await record {
            $0.phase = .synchronized
            $0.progress = 1
            $0.keysDone = report.keys
            $0.keysTotal = max($0.keysTotal, report.keys)
            $0.message =
                "copied once with SCAN + DUMP/RESTORE: \(report.keys) keys (\(report.bigKeys) big) in \(seconds) s; "
                + "the source refused PSYNC, so writes made on it after the copy are not carried"
        }
    }

    /// True while the group's channel is this worker's and its target is still a member.
    func isWanted(_ me: Int32) -> Bool {
        guard let state = try? store.read(), let group = state.group(groupId), let channel = group.channel else {
            return false
        }
        return channel.pid == me && group.members.contains(channel.target)
    }

    /// Changes this worker's channel record, if it is still this group's channel.
    func record(_ change: @escaping (inout ChannelRecord) -> Void) async throws {
        try await store.change { state in
            state.update(group: groupId) { group in
                guard var channel = group.channel else { return }
                change(&channel)
                group.channel = channel
            }
        }
    }

    func redacted(_ text: String, _ channel: ChannelRecord) -> String {
        var text = text
        for id in [channel.source, channel.target] {
            if let password = try? PasswordFile.read(layout.passwordFile(id)) {
                text = RedisServer.redact(text, password)
            }
        }
        return text
    }
}

/// The worker's exit code, set by whichever service decides it.
final class ExitCodeBox: Sendable {
    private let code = Mutex<Int32>(0)

    var value: Int32 {
        get { code.withLock { $0 } }
        set { code.withLock { $0 = newValue } }
    }
}
