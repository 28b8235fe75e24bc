import Foundation
import KVMoveCore
import KVMoveRESP
import KVMoveSync
import NIOCore
import ServiceLifecycle

/// Writes a live channel's status to the sandbox state and its position to the checkpoint file.
///
/// Every ``ChannelWorker/progressInterval`` it reads the source's `master_repl_offset` over one
/// connection it keeps open (a connection opened and closed per sample would look like an application
/// to the cutover gate), and records phase, full-sync progress and ETA, applied and source offsets, lag in
/// bytes and seconds (how long the target has not been caught up), and application writes applied per
/// second. The reverse direction of a two-way group is sampled the same way, from the target.
struct ChannelReporter: Service {
    let worker: ChannelWorker
    let status: ChannelStatus
    let source: RedisEndpoint
    /// The reverse direction of a two-way group: its status, and the target it reads.
    let reverse: (status: ChannelStatus, target: RedisEndpoint)?
    /// The group's ledger of keys written on both members.
    let ledger: WriteLedger?

    /// What one sample measured beyond the channel's own status.
    struct Sample {
        var sourceOffset: Int64?
        var rate: Double?
        var lag: (bytes: Int64, seconds: Double)?
        var eta: Double?
    }

    func run() async throws {
        var forward = DirectionSampler(endpoint: source)
        var backward = reverse.map { DirectionSampler(endpoint: $0.target) }
        defer {
            forward.close()
            backward?.close()
        }
        var keysTotal: Int?
        var fullSyncStarted: (syncs: Int, at: ContinuousClock.Instant)?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: worker.progressInterval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            let snapshot = status.snapshot
            let (fields, sample) = await forward.sample(snapshot)
            var reverseSample: (ChannelStatus.Snapshot, Sample)?
            if let reverse, var sampler = backward {
                let reverseSnapshot = reverse.status.snapshot
                reverseSample = (reverseSnapshot, await sampler.sample(reverseSnapshot).1)
                backward = sampler
            }
            if keysTotal == nil, !fields.isEmpty {
                keysTotal = RedisInfo.keysPerDatabase(fields).values.reduce(0, +)
            }
            var measured = sample
            let now = ContinuousClock.now
            if snapshot.phase == .fullSync, fullSyncStarted?.syncs != snapshot.fullSyncs {
                fullSyncStarted = (snapshot.fullSyncs, now)
            }
            if snapshot.phase == .fullSync, let started = fullSyncStarted, let total = snapshot.fullSyncBytesTotal,
                snapshot.fullSyncBytes > 0
            {
                let elapsed = (now - started.at).seconds
                measured.eta =
                    elapsed * Double(max(0, total - snapshot.fullSyncBytes)) / Double(snapshot.fullSyncBytes)
            }
            await write(snapshot, measured, keysTotal: keysTotal, reverse: reverseSample)
        }
    }

    /// Samples one direction: its source's offset (over one connection it keeps), the lag and the write rate.
    struct DirectionSampler {
        let endpoint: RedisEndpoint
        var control: RESPConnection?
        var previous: (writes: Int, at: ContinuousClock.Instant)?
        var caughtUpAt = ContinuousClock.now

        init(endpoint: RedisEndpoint) {
            self.endpoint = endpoint
        }

        /// The direction's source's `INFO` fields (empty when it did not answer) and what they measure.
        mutating func sample(_ snapshot: ChannelStatus.Snapshot) async -> ([String: String], Sample) {
            if control == nil { control = try? await endpoint.connect(role: .sync) }
            var fields: [String: String] = [:]
            if let connection = control {
                do {
                    fields = RedisInfo.fields(try await connection.send(RESPCommand("INFO")).string ?? "")
                } catch {
                    await connection.close()
                    control = nil
                }
            }
            let now = ContinuousClock.now
            var sample = Sample(sourceOffset: fields["master_repl_offset"].flatMap { Int64($0) })
            if let previous, now > previous.at {
                sample.rate = Double(snapshot.applicationWrites - previous.writes) / (now - previous.at).seconds
            }
            previous = (snapshot.applicationWrites, now)
            if let sourceOffset = sample.sourceOffset, let applied = snapshot.appliedOffset,
                snapshot.phase == .streaming
            {
                let bytes = max(0, sourceOffset - applied)
                if bytes == 0 { caughtUpAt = now }
                sample.lag = (bytes, bytes == 0 ? 0 : (now - caughtUpAt).seconds)
            } else {
                caughtUpAt = now
            }
            return (fields, sample)
        }

        func close() {
            if let control { Task { await control.close() } }
        }
    }

    /// The last write, once the channel has stopped: the position is the one the target holds.
    func finish(applied: ReplicationPosition?, reverseApplied: ReplicationPosition?) async {
        var snapshot = status.snapshot
        if let applied {
            snapshot.replicationId = applied.replicationId
            snapshot.appliedOffset = applied.offset
            snapshot.appliedDatabase = applied.database
        }
        var reverseSample: (ChannelStatus.Snapshot, Sample)?
        if var reverseSnapshot = reverse?.status.snapshot {
            if let reverseApplied { reverseSnapshot.appliedOffset = reverseApplied.offset }
            reverseSample = (reverseSnapshot, Sample())
        }
        await write(snapshot, Sample(), keysTotal: nil, reverse: reverseSample, stopped: true)
    }

    private func write(
        _ snapshot: ChannelStatus.Snapshot, _ sample: Sample, keysTotal: Int?,
        reverse: (snapshot: ChannelStatus.Snapshot, sample: Sample)?, stopped: Bool = false
    ) async {
        if let id = snapshot.replicationId, let offset = snapshot.appliedOffset, snapshot.phase != .fullSync {
            let checkpoint = ChannelCheckpoint(
                position: ReplicationPosition(replicationId: id, offset: offset, database: snapshot.appliedDatabase),
                phase: snapshot.phase.rawValue, savedAt: ISO8601.string(Date()))
            try? checkpoint.write(to: worker.layout.checkpointFile(worker.groupId))
        }
        try? await worker.record { channel in
            // A scan copy reports its own progress; a failure is recorded by the worker, with its message.
            guard channel.channelPhase != ChannelRecord.scanCopyPhase, channel.phase != .failed || stopped else {
                return
            }
            // A full sync into a target that had streamed before is a resync: say so.
            let resyncing =
                snapshot.phase == .fullSync
                && (channel.appliedOffset != nil || channel.message?.hasPrefix("full resync") == true)
            channel.channelPhase = snapshot.phase.rawValue
            channel.appliedOffset = snapshot.appliedOffset
            if let sourceOffset = sample.sourceOffset { channel.sourceOffset = sourceOffset }
            channel.lagBytes = sample.lag?.bytes
            channel.lagSeconds = sample.lag?.seconds
            channel.opsPerSecond = stopped ? nil : sample.rate ?? channel.opsPerSecond
            channel.fullSyncBytes = snapshot.fullSyncBytes
            channel.fullSyncBytesTotal = snapshot.fullSyncBytesTotal
            channel.fullSyncETASeconds = sample.eta
            channel.fullSyncs = snapshot.fullSyncs
            channel.continues = snapshot.continues
            channel.errorReplies = snapshot.errorReplies
            channel.spooledBytes = snapshot.spooledBytes
            channel.applicationWrites = snapshot.applicationWrites
            channel.echoesSkipped = snapshot.echoesSkipped
            if let conflicts = ledger?.conflicts, conflicts.count > 0 {
                channel.conflictCount = conflicts.count
                channel.conflictKeys = conflicts.keys.map {
                    ConflictKeyRecord(
                        database: $0.database, bytes: Array($0.key.readableBytesView),
                        printable: KeyText.printable($0.key))
                }
            }
            if let reverse, reverse.snapshot.phase != .connecting || channel.reverse != nil {
                channel.reverse = Self.direction(reverse.snapshot, reverse.sample, stopped: stopped) {
                    worker.redacted($0, channel)
                }
            }
            if snapshot.fullSyncs > 0 { channel.keysDone = snapshot.fullSyncKeys }
            switch snapshot.phase {
            case .connecting:
                channel.message = stopped ? "stopped" : "connecting to the source as a replica"
            case .fullSync:
                channel.phase = .initializing
                channel.keysTotal = max(keysTotal ?? channel.keysTotal, snapshot.fullSyncKeys)
                channel.progress =
                    channel.keysTotal > 0 ? min(0.99, Double(snapshot.fullSyncKeys) / Double(channel.keysTotal)) : 0
                let how =
                    snapshot.fullSyncMethod == .relay
                    ? "\(snapshot.fullSyncKeys) keys relayed to the target, which loads them itself"
                    : "\(snapshot.fullSyncKeys) keys applied with RESTORE"
                channel.message =
                    resyncing
                    ? "full resync (the source could not continue from the checkpoint: its backlog no longer "
                        + "had the position, or it restarted with a new replication id): " + how
                    : "full sync: " + how
            case .streaming:
                channel.phase = .synchronized
                channel.progress = 1
                channel.keysTotal = max(channel.keysTotal, channel.keysDone)
                channel.message =
                    stopped
                    ? "stopped at offset \(snapshot.appliedOffset ?? 0); a new worker continues from there"
                    : "streaming: every write on the source is applied to the target"
                        + (reverse?.snapshot.phase == .streaming ? ", and every write on the target to the source" : "")
                        + (snapshot.fullSyncMethod.map { " (full sync: \($0.rawValue))" } ?? "")
            case .reconnecting:
                channel.message =
                    "reconnecting: \(worker.redacted(snapshot.lastError ?? "the connection broke", channel))"
            case .failed:
                channel.phase = .failed
                channel.message = worker.redacted(snapshot.lastError ?? "failed", channel)
            }
        }
    }

    /// The record of the reverse direction.
    static func direction(
        _ snapshot: ChannelStatus.Snapshot, _ sample: Sample, stopped: Bool, redacted: (String) -> String
    ) -> DirectionRecord {
        var record = DirectionRecord(channelPhase: snapshot.phase.rawValue)
        record.appliedOffset = snapshot.appliedOffset
        record.sourceOffset = sample.sourceOffset
        record.lagBytes = sample.lag?.bytes
        record.lagSeconds = sample.lag?.seconds
        record.opsPerSecond = stopped ? nil : sample.rate
        record.applicationWrites = snapshot.applicationWrites
        record.echoesSkipped = snapshot.echoesSkipped
        record.continues = snapshot.continues
        record.errorReplies = snapshot.errorReplies
        switch snapshot.phase {
        case .connecting: record.message = stopped ? "stopped" : "joining: connecting to the target as a replica"
        case .fullSync: record.message = "joining"
        case .streaming:
            record.message =
                stopped
                ? "stopped at the target's offset \(snapshot.appliedOffset ?? 0); a new worker continues from there"
                : "streaming: every write on the target is applied to the source"
        case .reconnecting: record.message = "reconnecting: " + redacted(snapshot.lastError ?? "the connection broke")
        case .failed: record.message = redacted(snapshot.lastError ?? "failed")
        }
        return record
    }
}
