import KVMoveRESP
import KVMoveSecret
import Logging
import NIOCore

/// A live one-way channel: kvmove replicates a source into a target as a replica of the source.
///
/// One ``runSession(status:)`` connects to the source as a replica (``ReplicaHandshake``), then either
/// applies the source's snapshot (``RDBSplitter``: one `RESTORE … REPLACE ABSTTL` per key through
/// ``RestoreWriter``, `FUNCTION RESTORE` per library; a key too big for one `RESTORE` is copied from the
/// source in parts, and the stream after the snapshot brings it up to date) and the command stream after it,
/// or, when the source continues, the stream alone. It runs until the connection breaks, the target refuses
/// a write, or the task is cancelled.
///
/// **Exactly once.** The position applied (replid, offset, db) is kept in the target itself, in the key
/// ``checkpointKey`` of db 0, written in the same `MULTI … EXEC` as the commands it covers: the target holds
/// a batch and its checkpoint, or neither, whatever crashes when (the worker, the target, the connection).
/// A session starts from that key: `PSYNC <replid> <offset+1>`. A full sync starts with `FLUSHALL` (the
/// target is the channel's own, as a replica's dataset is) and writes the checkpoint only once the whole
/// snapshot is applied, so a full sync cut short is started again from scratch. Source transactions are
/// never split: a batch ends only outside `MULTI … EXEC`.
///
/// **Reading never waits for the target.** A reader task moves the source's bytes into a ``SpoolingBuffer``
/// as they arrive: memory up to ``Options/memoryBufferBytes``, then a spool file in
/// ``Options/spoolDirectory``, read back in order. So the source's replica output buffer does not fill while
/// the target is slow, and the worker's memory stays bounded whatever the write rate. The applier takes
/// everything that has arrived in one piece and writes it as soon as the input is drained (or a batch is
/// full), so a quiet stream is applied at once. `REPLCONF ACK` with the applied offset goes out every second
/// (and at once for `REPLCONF GETACK`).
package struct ReplicaChannel: Sendable {
    /// Tuning for a channel.
    package struct Options: Sendable {
        /// Commands (or keys) per batch written to the target.
        package var batchCommands: Int
        /// Bytes of commands per batch written to the target.
        package var batchBytes: Int
        /// How often `REPLCONF ACK` is sent.
        package var ackInterval: Duration
        /// A key from the snapshot whose expiry is closer than this is restored with this much time left,
        /// so that it is not lost if the stream renews it (the source's `DEL` removes it otherwise).
        package var ttlMarginMilliseconds: Int64
        /// Bytes read from the source and not applied yet that are kept in memory; more go to the spool file.
        package var memoryBufferBytes: Int
        /// The directory of the spool file (the group's directory in the sandbox); nil uses the temporary directory.
        package var spoolDirectory: String?
        /// A snapshot key whose `RESTORE` payload is bigger than this (or than the target's
        /// `proto-max-bulk-len`) is copied from the source in parts instead (``ChunkedKeyCopier``).
        package var bigValueBytes: Int
        /// Elements per part when a big key is copied in parts.
        package var chunkElements: Int
        /// The address the target can reach this process at, to relay full syncs to it; nil for `RESTORE`.
        ///
        /// When set, a full sync is relayed to the target as its primary would send it (the target is made a replica of a one-time listener here for the
        /// snapshot, and loads it natively), and falls back to `RESTORE` when the target refuses `REPLICAOF`
        /// or cannot load the source's RDB version. Nil applies every full sync with `RESTORE`.
        package var relayHost: String?
        /// How long the target has to connect to the relay before the channel gives up relaying.
        package var relayConnectTimeout: Duration
        /// The name of the channel that runs the other way between the same two servers (two-way sync).
        ///
        /// Every batch a channel applies is one `MULTI … EXEC` that sets its checkpoint key, and the target
        /// propagates it as one block with that key in it. With a peer, a block (or a lone command) that sets
        /// the peer's checkpoint key came through the peer and is not carried back: no write echoes. Such
        /// advances of the position are not checkpointed one by one (that write would cross back as well),
        /// only once ``echoCheckpointBytes`` have passed, when a batch of this channel's own goes out, or at a
        /// graceful stop. While a peer is named, a full sync is refused once the peer has joined (its
        /// checkpoint is in this channel's source): a copy would overwrite writes the target took.
        package var peerName: String?
        /// Never applies a snapshot: the reverse direction of a two-way group.
        ///
        /// Without a checkpoint the channel joins its source where it is now (`PSYNC` at the source's own
        /// replication id and offset; a source without a backlog answers with a full sync, whose snapshot is
        /// read and skipped) and checkpoints that position first. With a checkpoint the source cannot continue
        /// from, it stops (``TwoWayError/reverseHistoryLost(channel:position:checkpointKey:)``).
        package var streamOnly: Bool
        /// Bytes of the peer's echoes after which the position is checkpointed even without writes of its own.
        package var echoCheckpointBytes: Int
        /// The ledger of a two-way group's application writes, and which direction this channel is in it.
        package var ledger: (ledger: WriteLedger, side: WriteLedger.Side)?
        /// Full syncs in a row that may end in the same failure before the channel stops (``FullSyncBudget``).
        package var fullSyncBudget: Int

        /// Creates options; the defaults suit most datasets.
        package init(
            batchCommands: Int = 1000,
            batchBytes: Int = 4 << 20,
            ackInterval: Duration = .seconds(1),
            ttlMarginMilliseconds: Int64 = 120_000,
            memoryBufferBytes: Int = 8 << 20,
            spoolDirectory: String? = nil,
            bigValueBytes: Int = 4 << 20,
            chunkElements: Int = 1000,
            relayHost: String? = nil,
            relayConnectTimeout: Duration = .seconds(30),
            peerName: String? = nil,
            streamOnly: Bool = false,
            echoCheckpointBytes: Int = 1 << 20,
            fullSyncBudget: Int = 3
        ) {
            self.batchCommands = batchCommands
            self.batchBytes = batchBytes
            self.ackInterval = ackInterval
            self.ttlMarginMilliseconds = ttlMarginMilliseconds
            self.memoryBufferBytes = memoryBufferBytes
            self.spoolDirectory = spoolDirectory
            self.bigValueBytes = bigValueBytes
            self.chunkElements = chunkElements
            self.relayHost = relayHost
            self.relayConnectTimeout = relayConnectTimeout
            self.peerName = peerName
            self.streamOnly = streamOnly
            self.echoCheckpointBytes = echoCheckpointBytes
            self.fullSyncBudget = fullSyncBudget
        }
    }

    /// Keys kvmove keeps in a target for its channels start with this.
    package static let checkpointPrefix = "__kvmove:sync:"

    package var source: RedisEndpoint
    package var target: RedisEndpoint
    /// Names the channel: its checkpoint key is `__kvmove:sync:<name>`.
    package var name: String
    package var options: Options

    private static let logger = Logger(label: "kvmove.sync.channel")

    /// Creates a channel.
    package init(source: RedisEndpoint, target: RedisEndpoint, name: String, options: Options = Options()) {
        self.source = source
        self.target = target
        self.name = name
        self.options = options
    }

    /// The key in db 0 of the target that holds the applied position.
    package var checkpointKey: String { Self.checkpointPrefix + name }

    /// The peer's checkpoint key (kept in this channel's source), when the channel is one direction of two.
    package var peerCheckpointKey: String? { options.peerName.map { Self.checkpointPrefix + $0 } }

    /// The name the channel's connection to the target carries after each batch in two-way mode:
    /// `kvmove-sync:<name>@<offset>`, the offset applied or passed over as an echo (``ChannelLagProbe``).
    package static func beaconPrefix(_ name: String) -> String { ClientRole.sync.clientName + ":" + name + "@" }

    /// True for keys of kvmove's own channels, which verification does not compare.
    package static func isChannelKey(_ key: ByteBuffer) -> Bool {
        key.readableBytesView.starts(with: checkpointPrefix.utf8)
    }

    /// Reads the applied position from the target; nil when the target holds none (no full sync finished).
    package func appliedPosition() async throws -> ReplicationPosition? {
        let connection = try await target.connect(role: .sync)
        defer { Task { await connection.close() } }
        let reply = try await connection.send(RESPCommand("GET", RESPArgument(checkpointKey)))
        return reply.string.flatMap(ReplicationPosition.init(markerText:))
    }

    /// Removes the checkpoint from the target, once the channel is gone for good, and checks that it is gone.
    ///
    /// - Throws: the connection's or the server's error, or ``CheckpointNotRemoved`` when the key is still
    ///   there afterwards: the caller says which key is left and how to delete it.
    package func removeCheckpoint() async throws {
        let connection = try await target.connect(role: .sync)
        do {
            _ = try await connection.send(RESPCommand("DEL", RESPArgument(checkpointKey)))
            let left = try await connection.send(RESPCommand("EXISTS", RESPArgument(checkpointKey)))
            await connection.close()
            if left.int != 0 { throw CheckpointNotRemoved(key: checkpointKey) }
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs sessions until the task is cancelled, reconnecting after every failure that passes by itself.
    ///
    /// Each new session continues from the target's checkpoint. A failure that needs attention (a write
    /// the target refused, a value the channel cannot carry, a source that refuses `PSYNC`) ends the run
    /// with that error, with the phase `failed`.
    ///
    /// With `stop`, ``ChannelStop/request()`` ends the run gracefully: what was read is applied first.
    package func run(status: ChannelStatus, stop: ChannelStop? = nil, retryDelay: Duration = .milliseconds(500))
        async throws
    {
        var delay = retryDelay
        var budget = FullSyncBudget(limit: options.fullSyncBudget)
        while true {
            try Task.checkCancellation()
            if stop?.isRequested == true { return }
            let fullSyncsBefore = status.snapshot.fullSyncs
            do {
                try await runSession(status: status, stop: stop)
                budget.sessionStreamed()
                delay = retryDelay
            } catch is ChannelStop.Requested {
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                if let failure = error as? any DataPlaneFailure, !failure.isRetryable {
                    status.update {
                        $0.phase = .failed
                        $0.lastError = failure.description
                    }
                    throw error
                }
                let seen = status.snapshot
                let decision = budget.sessionFailed(
                    fullSync: seen.fullSyncs > fullSyncsBefore, streamed: seen.phase == .streaming,
                    failure: "\(error)")
                if case .stop(let attempts) = decision {
                    let exhausted = FullSyncBudgetExhausted(attempts: attempts, failure: "\(error)")
                    status.update {
                        $0.phase = .failed
                        $0.lastError = exhausted.description
                    }
                    throw exhausted
                }
                Self.logger.info("sync channel reconnects", metadata: ["reason": "\(error)"])
                status.update {
                    $0.phase = .reconnecting
                    $0.lastError = "\(error)"
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Runs one session until the connection breaks, a write is refused, or the task is cancelled.
    package func runSession(status: ChannelStatus, stop: ChannelStop? = nil) async throws {
        let writer = try await target.connect(role: .sync)
        do {
            try await session(writer: writer, status: status, stop: stop)
            await writer.close()
        } catch {
            await writer.close()
            throw error
        }
    }

    private func session(writer: RESPConnection, status: ChannelStatus, stop: ChannelStop?) async throws {
        if options.relayHost != nil {
            // A relayed snapshot cut short (kill -9) can leave the target a replica of a listener that is gone.
            let replication = try await writer.send(RESPCommand("INFO", "replication")).string ?? ""
            if RedisInfo.fields(replication)["role"] == "slave" {
                Self.logger.info("the target was left a replica by a relayed snapshot cut short; made it a primary")
                _ = try await writer.send(RESPCommand("REPLICAOF", "NO", "ONE"))
            }
        }
        var resume = try await writer.send(RESPCommand("GET", RESPArgument(checkpointKey))).string
            .flatMap(ReplicationPosition.init(markerText:))
        let known = status.snapshot
        if options.peerName != nil, let checkpoint = resume, known.lastCheckpoint == checkpoint,
            let id = known.replicationId, let offset = known.appliedOffset, offset > checkpoint.offset
        {
            // Only echoes of the peer lie between the checkpoint and the position passed: continue after them
            // (a source that restarted keeps no backlog from before its restart).
            resume = ReplicationPosition(replicationId: id, offset: offset, database: known.appliedDatabase)
        }
        var joining = false
        var peerJoined = false
        if options.streamOnly && resume == nil || (peerCheckpointKey != nil && !options.streamOnly) {
            let control = try await source.connect(role: .sync)
            do {
                if options.streamOnly, resume == nil {
                    // Join where the source is now: what it holds already came through the other direction.
                    let fields = RedisInfo.fields(
                        try await control.send(RESPCommand("INFO", "replication")).string ?? "")
                    if let id = fields["master_replid"], id.count == 40,
                        let offset = fields["master_repl_offset"].flatMap({ Int64($0) })
                    {
                        // Every block the other direction applies ends with its checkpoint in db 0.
                        resume = ReplicationPosition(replicationId: id, offset: offset, database: 0)
                    }
                    joining = true
                }
                if let peerKey = peerCheckpointKey, !options.streamOnly {
                    peerJoined = try await control.send(RESPCommand("EXISTS", RESPArgument(peerKey))).int == 1
                }
                await control.close()
            } catch {
                await control.close()
                throw error
            }
        }
        let targetInfo = try await writer.send(RESPCommand("INFO", "server")).string ?? ""
        let targetRDBVersion =
            RedisInfo.fields(targetInfo)["redis_version"].flatMap(DumpPayload.rdbVersion(redisVersion:)) ?? 10
        let bulkLimit = try? await writer.pipeline([RESPCommand("CONFIG", "GET", "proto-max-bulk-len")]).first?
            .pairs?.first?.value.int
        let bigValueBytes = max(1, min(options.bigValueBytes, Int(bulkLimit ?? Int64.max)))
        status.update {
            $0.phase = .connecting
            if let resume {
                $0.appliedOffset = resume.offset
                $0.appliedDatabase = resume.database
            }
        }
        let configuration = source.configuration(role: .sync)
        try await RESPStreamConnection.with(configuration) { stream in
            let inbox = SpoolingBuffer(
                memoryLimit: options.memoryBufferBytes, directory: options.spoolDirectory, status: status)
            stop?.attach(inbox)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The reader: never waits for the target, so the source never sees a slow replica.
                group.addTask {
                    do {
                        for try await chunk in stream.inbound { inbox.append(chunk) }
                        inbox.finish(throwing: RESPError.closed)
                    } catch {
                        inbox.finish(throwing: error)
                    }
                }
                var applier = Applier(
                    channel: self, writer: writer, stream: stream, status: status, resume: resume,
                    targetRDBVersion: targetRDBVersion, inbox: inbox, bigValueBytes: bigValueBytes)
                applier.joining = joining
                applier.peerJoined = peerJoined
                let acked = try await applier.handshake(
                    username: source.username, password: source.password?.reveal())
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: options.ackInterval)
                        let offset = status.snapshot.appliedOffset ?? acked
                        try await stream.write([RESPCommand("REPLCONF", "ACK", RESPArgument(Int(offset)))])
                    }
                }
                do {
                    try await applier.apply()
                } catch {
                    await applier.close()
                    group.cancelAll()
                    throw error
                }
                await applier.close()
                group.cancelAll()
            }
        }
    }
}

/// Why the channel stopped for a reason that needs attention rather than a reconnect.
package enum ChannelFailure: DataPlaneFailure {
    /// The target answered a write with an error: it was not applied, and the channel cannot go on.
    case writeRefused(command: String, database: Int, error: RESPServerError)

    package var description: String {
        switch self {
        case .writeRefused(let command, let database, let error):
            "the target refused \(command) in db \(database) from the source's stream: \(error); "
                + "nothing after the last checkpoint was applied. Fix the cause on the target (memory, "
                + "maxmemory policy, read-only replica, ACL), then restart the channel: it continues from there"
        }
    }

    package var code: String {
        switch self {
        case .writeRefused(_, _, let error): error.code
        }
    }

    package var message: String { description }

    package var isRetryable: Bool { false }
}

/// The checkpoint key was still on the member after its `DEL`.
package struct CheckpointNotRemoved: Error, Sendable, CustomStringConvertible {
    package var key: String

    package var description: String { "\(key) is still there after DEL" }
}
