import Foundation
import KVMoveCore
import KVMoveSync
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The background process behind a group's sync channel, as the cloud runs one per group.
///
/// It copies the source into the target with ``ScanCopier`` (SCAN + DUMP + PTTL, pipelined
/// RESTORE), writing phase and progress to the sandbox state at most every half second, then
/// marks the channel `synchronized`. If the copy fails, the phase becomes `failed` with a
/// password-free message and the worker exits.
///
/// After the copy the worker stays alive and idle, checking every ``pollInterval`` that it is
/// still wanted, until it is stopped (disconnect, release, `sandbox down`) or its group or
/// channel goes away. That idle loop is the seam for the live two-way channel, which will
/// replicate changes in both directions from there on; until it exists, writes made after the
/// copy are not carried over.
package struct ChannelWorker: Sendable {
    package let layout: SandboxLayout
    package let groupId: String
    /// How often the idle worker checks that it is still wanted.
    package var pollInterval: Duration = .seconds(1)
    /// How often copy progress is written to the state.
    package var progressInterval: Duration = .milliseconds(500)

    package init(layout: SandboxLayout, groupId: String) {
        self.layout = layout
        self.groupId = groupId
    }

    private var store: SandboxStore { SandboxStore(layout: layout) }

    /// Runs the worker until it is stopped or its work is gone; returns the exit code.
    package func run(log: @escaping @Sendable (String) -> Void = { print($0) }) async -> Int32 {
        let me = getpid()
        let start: (ChannelRecord, Bool)?
        do {
            start = try await store.change { state -> (ChannelRecord, Bool)? in
                guard let group = state.group(groupId), var channel = group.channel else { return nil }
                if let pid = channel.pid, pid != me, ProcessControl.isAlive(pid) { return nil }
                channel.pid = me
                let copy = channel.phase != .synchronized
                if copy {
                    channel.phase = .initializing
                    channel.message = "starting the full sync"
                }
                let recorded = channel
                state.update(group: groupId) { $0.channel = recorded }
                return (channel, copy)
            }
        } catch {
            log("worker \(groupId): cannot read the sandbox state: \(error)")
            return 1
        }
        guard let (channel, copy) = start else {
            log("worker \(groupId): the group has no channel, or another worker runs it; exiting")
            return 0
        }
        log("worker \(groupId) (pid \(me)): \(channel.source) -> \(channel.target)")
        if copy {
            do {
                try await fullSync(channel)
            } catch {
                let message = redacted("\(error)", channel)
                log("worker \(groupId): full sync failed: \(message)")
                try? await record {
                    $0.phase = .failed; $0.message = message
                }
                return 1
            }
        }
        return await idle(me)
    }

    private func fullSync(_ channel: ChannelRecord) async throws {
        let state = try store.read()
        guard let source = state.instance(channel.source), source.isLive else {
            throw ProviderError.sandbox("InvalidInstanceId.NotFound", "source \(channel.source) does not exist")
        }
        guard let target = state.instance(channel.target), target.isLive else {
            throw ProviderError.sandbox("InvalidInstanceId.NotFound", "target \(channel.target) does not exist")
        }
        let sandbox = Sandbox(layout: layout, worker: WorkerLauncher(executable: ""))
        let copier = ScanCopier(source: try sandbox.endpoint(source), target: try sandbox.endpoint(target))
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
                "full sync finished: \(report.keys) keys (\(report.bigKeys) big) in \(seconds) s; "
                + "idle until the live channel exists"
        }
    }

    private func idle(_ me: Int32) async -> Int32 {
        while true {
            try? await Task.sleep(for: pollInterval)
            guard let state = try? store.read(), let group = state.group(groupId), let channel = group.channel,
                channel.pid == me, group.members.contains(channel.target)
            else { return 0 }
        }
    }

    /// Changes this worker's channel record, if it is still this group's channel.
    private func record(_ change: @escaping (inout ChannelRecord) -> Void) async throws {
        try await store.change { state in
            state.update(group: groupId) { group in
                guard var channel = group.channel else { return }
                change(&channel)
                group.channel = channel
            }
        }
    }

    private func redacted(_ text: String, _ channel: ChannelRecord) -> String {
        var text = text
        for id in [channel.source, channel.target] {
            if let password = try? PasswordFile.read(layout.passwordFile(id)) {
                text = RedisServer.redact(text, password)
            }
        }
        return text
    }
}
