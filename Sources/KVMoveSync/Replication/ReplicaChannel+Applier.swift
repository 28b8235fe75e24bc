import KVMoveRESP
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

extension ReplicaChannel {
    /// Applies one session's stream to the target: the driver of the state machines, and the only part
    /// that waits on I/O.
    struct Applier {
        let channel: ReplicaChannel
        let writer: RESPConnection
        let stream: RESPStreamConnection.Stream
        let status: ChannelStatus
        let resume: ReplicationPosition?
        let targetRDBVersion: Int
        let inbox: SpoolingBuffer
        /// Snapshot keys with a bigger `RESTORE` payload are copied from the source in parts.
        let bigValueBytes: Int
        /// A connection to the source for copying big keys in parts, opened when the first one comes.
        var bigKeyReader: RESPConnection?

        var buffer = ByteBuffer()
        var parser = ReplicationStreamParser(fullSync: true)
        var replicationId = ""
        /// The offset the stream started at: the `+FULLRESYNC` offset, or the checkpoint continued from.
        var base: Int64 = 0
        /// The database selected on the target connection after everything queued so far.
        var database = 0
        /// The database the stream starts in after the snapshot (`repl-stream-db`).
        var streamDatabase = 0
        var footerVersion = 10
        var inTransaction = false
        /// Stream commands queued for the next batch; during a full sync, what goes before ``pendingKeys``.
        var pending: [RESPCommand] = []
        /// Snapshot keys queued for the next batch.
        var pendingKeys: [RestoreWriter.Key] = []
        var pendingBytes = 0
        var pendingEnd: Int64 = 0
        /// The offset up to which batches were handed to ``batches`` (applied once they finish).
        var applied: Int64 = 0
        /// The batches on their way to the target; a failed one wakes the applier through the inbox.
        var batches: BatchPipeline
        /// The reverse direction joining its source: the snapshot of a full sync is read and skipped.
        var joining = false
        /// The peer has its checkpoint in the source: a full sync would overwrite the target's writes.
        var peerJoined = false
        var skippingSnapshot = false
        /// The offset the last checkpoint written covers; the peer's echoes can take ``applied`` past it.
        var checkpointed: Int64 = 0
        /// Writes (commands other than `SELECT`) in ``pending``.
        var pendingWrites = 0
        /// Where the source's open transaction starts in ``pending``, with the counts before it.
        var transactionStart = 0
        var transactionBytes = 0
        var transactionWrites = 0
        /// The open transaction sets the peer's checkpoint key: it came through the peer.
        var transactionIsEcho = false
        /// Blocks and lone commands of the peer's that were passed over and not yet counted in the status.
        var echoes = 0
        /// Keys the open transaction writes, and the peer's position its checkpoint says (for the ledger).
        var transactionKeys: [WriteLedger.Key] = []
        var transactionPeerOffset: Int64?
        let peerKey: [UInt8]?

        init(
            channel: ReplicaChannel, writer: RESPConnection, stream: RESPStreamConnection.Stream,
            status: ChannelStatus, resume: ReplicationPosition?, targetRDBVersion: Int, inbox: SpoolingBuffer,
            bigValueBytes: Int
        ) {
            self.inbox = inbox
            self.bigValueBytes = bigValueBytes
            batches = BatchPipeline { [inbox] error in inbox.abort(throwing: error) }
            self.channel = channel
            self.writer = writer
            self.stream = stream
            self.status = status
            self.resume = resume
            self.targetRDBVersion = targetRDBVersion
            peerKey = channel.peerCheckpointKey.map { Array($0.utf8) }
        }

        /// Everything the reader has buffered, appended to the buffer (or taking its place when it is empty).
        mutating func read() async throws {
            var chunk = try await inbox.take()
            if buffer.readableBytes == 0 {
                buffer = chunk
                return
            }
            if buffer.readerIndex > 1 << 20, buffer.readerIndex > buffer.readableBytes {
                buffer.discardReadBytes()
            }
            buffer.writeBuffer(&chunk)
        }

        /// Runs the handshake; returns the offset to acknowledge until something is applied.
        mutating func handshake(username: String?, password: String?) async throws -> Int64 {
            var handshake = ReplicaHandshake(
                username: username, password: password, clientName: ClientRole.sync.clientName, resume: resume)
            var action = handshake.start()
            while true {
                switch action {
                case .send(let command):
                    try await stream.write([command])
                    action = try handshake.receive(&buffer)
                case .wait:
                    try await read()
                    action = try handshake.receive(&buffer)
                case .fullResync(let id, let offset):
                    if channel.options.streamOnly, !joining, let resume {
                        throw TwoWayError.reverseHistoryLost(
                            channel: channel.name, position: resume, checkpointKey: channel.checkpointKey)
                    }
                    if peerJoined, let peerKey = channel.peerCheckpointKey {
                        throw TwoWayError.forwardResyncRefused(channel: channel.name, peerKey: peerKey)
                    }
                    skippingSnapshot = channel.options.streamOnly
                    checkpointed = offset
                    replicationId = id
                    base = offset
                    applied = offset
                    pendingEnd = offset
                    parser = ReplicationStreamParser(fullSync: true)
                    return offset
                case .continued(let id):
                    guard let resume else {
                        throw ReplicationError.unexpectedReply(command: "PSYNC ? -1", reply: "+CONTINUE")
                    }
                    replicationId = id ?? resume.replicationId
                    base = resume.offset
                    applied = resume.offset
                    pendingEnd = resume.offset
                    database = resume.database
                    checkpointed = resume.offset
                    parser = ReplicationStreamParser(fullSync: false)
                    // A continued stream does not select the database again: the connection must.
                    _ = try await writer.send(RESPCommand("SELECT", RESPArgument(resume.database)))
                    status.update {
                        $0.phase = .streaming
                        $0.replicationId = replicationId
                        $0.appliedOffset = applied
                        $0.appliedDatabase = resume.database
                        if !joining { $0.continues += 1 }
                    }
                    if joining {
                        // Joined where the source was: that position is checkpointed before anything else.
                        streamDatabase = resume.database
                        try await snapshotApplied()
                    }
                    return resume.offset
                }
            }
        }

        /// Applies events until the stream ends or fails.
        mutating func apply() async throws {
            do {
                while true {
                    try Task.checkCancellation()
                    while let event = try parser.next(from: &buffer) {
                        try await handle(event)
                    }
                    // The input is drained: write what is queued now rather than wait for a full batch.
                    if parser.isStreaming {
                        try await flushStream()
                    } else {
                        status.update {
                            $0.fullSyncBytes = parser.rdbBytes
                        }
                    }
                    try await read()
                }
            } catch let requested as ChannelStop.Requested {
                // A graceful stop: everything read is applied (the loop above flushed it); wait for the
                // target to acknowledge the batches on the wire, so the checkpoint is where the stop was.
                try await batches.drain()
                if parser.isStreaming, checkpointed < applied {
                    try await flushStream(checkpoint: true)
                    try await batches.drain()
                }
                throw requested
            } catch {
                // The source went away (it restarts, the connection broke): what was read is applied before the
                // next session asks to continue, so that it continues after it. A cancelled session stops at once.
                if !(error is CancellationError), !Task.isCancelled { try? await batches.drain() }
                batches.cancel()
                throw error
            }
        }

        private mutating func handle(_ event: ReplicationStreamParser.Event) async throws {
            switch event {
            case .rdbStarted(let length):
                try await batches.drain()
                // Joining: the source's data came through the other direction; only the position is taken.
                if skippingSnapshot { return }
                status.update {
                    $0.phase = .fullSync
                    $0.replicationId = replicationId
                    $0.fullSyncs += 1
                    $0.fullSyncKeys = 0
                    $0.fullSyncBigKeys = 0
                    $0.fullSyncKeysKeptLonger = 0
                    $0.fullSyncBytes = 0
                    $0.fullSyncBytesTotal = length
                    $0.appliedOffset = nil
                    $0.fullSyncMethod = .restore
                }
                // Relayed, the snapshot is read through its end here, and the target loads it itself.
                if try await relaySnapshot() { return }
                _ = try await writer.send(RESPCommand("FLUSHALL"))
                // FLUSHALL keeps function libraries; the snapshot brings the source's own. A server without
                // FUNCTION (before Redis 7) has none to remove.
                let flushed = try await writer.send(RESPCommand("FUNCTION", "FLUSH"))
                if let error = flushed.serverError, !error.message.lowercased().contains("unknown") {
                    throw ChannelFailure.writeRefused(command: "FUNCTION FLUSH", database: 0, error: error)
                }
                _ = try await writer.send(RESPCommand("SELECT", 0))
                database = 0
            case .rdb(let item):
                if skippingSnapshot {
                    if case .aux(let key, let value) = item, key == "repl-stream-db",
                        let db = Int(String(buffer: value))
                    {
                        streamDatabase = db
                    }
                    return
                }
                try await handle(item)
            case .rdbFinished where skippingSnapshot:
                skippingSnapshot = false
                try await acknowledgeSnapshot()
                database = streamDatabase
                try await snapshotApplied()
            case .rdbFinished:
                try await acknowledgeSnapshot()
                try await flushRestores()
                try await batches.drain()
                try await snapshotApplied()
            case .command(let frame):
                let end = base + parser.streamBytes
                pendingEnd = end
                queue(frame)
                if !inTransaction,
                    pending.count >= channel.options.batchCommands
                        || pendingBytes >= channel.options.batchBytes
                {
                    try await flushStream()
                }
            }
        }

        /// A source that sent its snapshot diskless holds the stream back (buffered against the replica's output
        /// limit) until the replica's first ACK: send it as soon as the snapshot has been read.
        mutating func acknowledgeSnapshot() async throws {
            try await stream.write([RESPCommand("REPLCONF", "ACK", RESPArgument(Int(base)))])
        }

        /// The snapshot is on the target: write the checkpoint (only now does the target hold one) and stream.
        mutating func snapshotApplied() async throws {
            let marker = ReplicationPosition(replicationId: replicationId, offset: base, database: streamDatabase)
            var commands = [RESPCommand("SELECT", 0), checkpointCommand(marker)]
            commands.append(RESPCommand("SELECT", RESPArgument(streamDatabase)))
            try await write(commands, context: "the checkpoint")
            database = streamDatabase
            applied = base
            pendingEnd = base
            checkpointed = base
            // The snapshot's buffers are gone: give the heap they grew back, so streaming starts small.
            Self.trimHeap()
            status.update {
                $0.phase = .streaming
                $0.replicationId = replicationId
                $0.appliedOffset = base
                $0.appliedDatabase = streamDatabase
                $0.fullSyncBytes = parser.rdbBytes
                $0.lastCheckpoint = marker
            }
        }

        mutating func handle(_ item: RDBEvent) async throws {
            switch item {
            case .header(let version):
                footerVersion = min(version, targetRDBVersion)
            case .aux(let key, let value):
                if key == "repl-stream-db", let db = Int(String(buffer: value)) { streamDatabase = db }
            case .selectDatabase(let db):
                try await flushRestores()
                pending.append(RESPCommand("SELECT", RESPArgument(db)))
                database = db
            case .resizeDatabase, .end:
                break
            case .function(let body):
                try await flushRestores()
                pending.append(
                    RESPCommand(
                        "FUNCTION", "RESTORE", RESPArgument(DumpPayload.make(body: body, rdbVersion: footerVersion)),
                        "REPLACE"))
            case .key(let record):
                var expireAt: Int64?
                if let at = record.expireAtMilliseconds {
                    // The TTL gap: a key about to expire is kept long enough for the stream to renew or delete it.
                    expireAt = max(at, Keyspace.nowMilliseconds() + channel.options.ttlMarginMilliseconds)
                }
                if record.value.readableBytes + 11 > bigValueBytes {
                    try await copyInParts(record, expireAt: expireAt)
                    return
                }
                let payload = DumpPayload.make(type: record.type, value: record.value, rdbVersion: footerVersion)
                pendingKeys.append(
                    RestoreWriter.Key(
                        key: record.key, expireAtMilliseconds: expireAt, payload: payload,
                        idleSeconds: record.idleSeconds, frequency: record.frequency))
                pendingBytes += payload.readableBytes + record.key.readableBytes
                if pendingKeys.count >= channel.options.batchCommands || pendingBytes >= channel.options.batchBytes {
                    try await flushRestores()
                }
            }
        }

        /// Copies a snapshot key too big for one `RESTORE` from the source, element by element.
        ///
        /// The source's value may be newer than the snapshot's; the stream that follows the snapshot replays
        /// the writes since then, most of which are idempotent (7.0 propagates `SET`, `PEXPIREAT`, `SREM`, …).
        private mutating func copyInParts(_ record: RDBKeyRecord, expireAt: Int64?) async throws {
            try await flushRestores()
            try await batches.drain()
            let reader: RESPConnection
            if let bigKeyReader {
                reader = bigKeyReader
            } else {
                reader = try await channel.source.connect(role: .sync)
                bigKeyReader = reader
            }
            try await reader.select(database)
            let copier = ChunkedKeyCopier(
                reader: reader, writer: writer, database: database,
                chunkElements: max(1, channel.options.chunkElements), chunkBytes: max(1, min(bigValueBytes, 1 << 20)))
            let copied = try await copier.copy(record.key, expireAt: expireAt)
            status.update {
                if copied { $0.fullSyncKeys += 1 }
                $0.fullSyncBigKeys += 1
            }
        }

        /// Returns freed heap memory to the system (glibc's `malloc_trim`, looked up at run time).
        static func trimHeap() {
            #if canImport(Glibc)
                typealias Trim = @convention(c) (Int) -> Int32
                if let symbol = dlsym(nil, "malloc_trim") {
                    _ = unsafeBitCast(symbol, to: Trim.self)(0)
                }
            #endif
        }

        /// Closes what the session opened besides its connections to the source and target.
        mutating func close() async {
            batches.cancel()
            await bigKeyReader?.close()
            bigKeyReader = nil
        }

        /// Queues a stream command; skips what only the replica link uses and the source's own MULTI/EXEC
        /// (the batch is one transaction on the target, so the source's transaction stays whole).
        private mutating func queue(_ frame: RESPCommandFrame) {
            guard !frame.arguments.isEmpty else { return }
            if frame.isCommand("PING") { return }
            if frame.isCommand("MULTI") {
                inTransaction = true
                transactionStart = pending.count
                transactionBytes = pendingBytes
                transactionWrites = pendingWrites
                transactionIsEcho = false
                transactionKeys.removeAll()
                transactionPeerOffset = nil
                return
            }
            if frame.isCommand("EXEC") {
                inTransaction = false
                if transactionIsEcho {
                    // The peer applied this block: pass it over, keeping only where it left the database.
                    let selects = pending[transactionStart...].filter { $0.name.uppercased() == "SELECT" }
                    pending.removeSubrange(transactionStart...)
                    pending.append(contentsOf: selects.suffix(1))
                    pendingBytes = transactionBytes
                    pendingWrites = transactionWrites
                    echoes += 1
                    if let ledger = channel.options.ledger, let offset = transactionPeerOffset {
                        ledger.ledger.peerApplied(ledger.side, offset: offset)
                    }
                } else if let ledger = channel.options.ledger {
                    ledger.ledger.wrote(ledger.side, keys: transactionKeys, offset: pendingEnd)
                }
                return
            }
            if let peerKey, frame.arguments.count >= 3, frame.isCommand("SET"),
                frame.arguments[1].readableBytesView.elementsEqual(peerKey)
            {
                // The peer's checkpoint: the block it is in came through the peer (a lone one is its batch of
                // no-ops). It is never carried back.
                if inTransaction { transactionIsEcho = true } else { echoes += 1 }
                if let ledger = channel.options.ledger,
                    let offset = ReplicationPosition(markerText: String(buffer: frame.arguments[2]))?.offset
                {
                    if inTransaction {
                        transactionPeerOffset = offset
                    } else {
                        ledger.ledger.peerApplied(ledger.side, offset: offset)
                    }
                }
                return
            }
            if frame.isCommand("REPLCONF") {
                if frame.arguments.count >= 2, String(buffer: frame.arguments[1]).uppercased() == "GETACK" {
                    ackNow = true
                }
                return
            }
            if frame.isCommand("OPINFO") { return }
            if frame.isCommand("PUBLISH"), frame.arguments.count >= 2,
                frame.arguments[1].readableBytesView.starts(with: "__sentinel__:".utf8)
            {
                return
            }
            if frame.isCommand("SELECT"), frame.arguments.count == 2, let db = Int(String(buffer: frame.arguments[1])) {
                database = db
            } else {
                pendingWrites += 1
                if let ledger = channel.options.ledger {
                    let keys = WriteLedger.keys(of: frame, database: database)
                    if inTransaction {
                        transactionKeys.append(contentsOf: keys)
                    } else {
                        ledger.ledger.wrote(ledger.side, keys: keys, offset: pendingEnd)
                    }
                }
            }
            var arguments: [RESPArgument] = []
            arguments.reserveCapacity(frame.arguments.count - 1)
            for argument in frame.arguments.dropFirst() { arguments.append(RESPArgument(argument)) }
            pending.append(RESPCommand(Self.commandName(frame.arguments[0]), arguments: arguments))
            pendingBytes += frame.byteCount
        }

        /// The command name as sent, reusing one string for the commonest names.
        private static func commandName(_ bytes: ByteBuffer) -> String {
            if bytes.readableBytes == 3 {
                if bytes.readableBytesView.elementsEqual("SET".utf8) { return "SET" }
                if bytes.readableBytesView.elementsEqual("set".utf8) { return "set" }
                if bytes.readableBytesView.elementsEqual("DEL".utf8) { return "DEL" }
            }
            return String(buffer: bytes)
        }

        var ackNow = false

        /// Queues the snapshot's keys for the target (plain pipeline: `RESTORE … REPLACE` is idempotent, and a
        /// full sync cut short starts again from `FLUSHALL`); the batch is written while the next is read.
        private mutating func flushRestores() async throws {
            guard !pending.isEmpty || !pendingKeys.isEmpty else { return }
            let before = pending
            let keys = pendingKeys
            pending.removeAll(keepingCapacity: true)
            pendingKeys.removeAll(keepingCapacity: true)
            pendingBytes = 0
            let restorer = RestoreWriter(connection: writer)
            let status = status
            let database = database
            let rdbBytes = parser.rdbBytes
            // A batch that selects a database (or restores functions) is alone on the wire: the keys after it
            // must reach the database it selects.
            if !before.isEmpty { try await batches.drain() }
            try await batches.submit(ordered: false) {
                let errors: [RESPServerError?]
                do {
                    errors = try await restorer.restore(keys, after: before)
                } catch RESPError.server(let error) {
                    status.update { $0.errorReplies += 1 }
                    throw ChannelFailure.writeRefused(
                        command: before.map(\.name).joined(separator: ", "), database: database, error: error)
                }
                for (index, error) in errors.enumerated() {
                    guard let error else { continue }
                    status.update { $0.errorReplies += 1 }
                    throw ChannelFailure.writeRefused(
                        command: "RESTORE of key \(KeyText.printable(keys[index].key))", database: database,
                        error: error)
                }
                status.update {
                    $0.fullSyncKeys += keys.count
                    $0.fullSyncBytes = max($0.fullSyncBytes, rdbBytes)
                }
            }
            if !before.isEmpty { try await batches.drain() }
        }

        /// Queues the stream commands and the checkpoint as one transaction; written while the next is read.
        ///
        /// With a peer, bytes that hold nothing to write (the peer's echoes, keep-alives) only move the
        /// position on, without a checkpoint, until ``Options/echoCheckpointBytes`` of them have passed or
        /// `checkpoint` asks for one.
        private mutating func flushStream(checkpoint: Bool = false) async throws {
            if ackNow {
                ackNow = false
                let offset = status.snapshot.appliedOffset ?? applied
                try await stream.write([RESPCommand("REPLCONF", "ACK", RESPArgument(Int(offset)))])
            }
            let beacon = channel.options.peerName.map { _ in
                RESPCommand(
                    "CLIENT", "SETNAME", RESPArgument(ReplicaChannel.beaconPrefix(channel.name) + "\(pendingEnd)"))
            }
            let echoes = self.echoes
            self.echoes = 0
            if let beacon, pendingWrites == 0, !checkpoint, !inTransaction, pendingEnd > applied,
                pendingEnd - checkpointed < channel.options.echoCheckpointBytes
            {
                let end = pendingEnd
                let database = database
                applied = end
                let writer = writer
                let status = status
                try await batches.submit {
                    _ = try await writer.send(beacon)
                    status.update {
                        $0.appliedOffset = end
                        $0.appliedDatabase = database
                        $0.echoesSkipped += echoes
                    }
                }
                return
            }
            guard !inTransaction, pendingEnd > applied || (checkpoint && checkpointed < applied) else {
                self.echoes += echoes
                return
            }
            let count = pending.count
            let writes = pendingWrites
            pendingWrites = 0
            checkpointed = pendingEnd
            var commands = [RESPCommand("MULTI")]
            commands.reserveCapacity(pending.count + 5)
            commands.append(contentsOf: pending)
            let marker = ReplicationPosition(replicationId: replicationId, offset: pendingEnd, database: database)
            if database != 0 { commands.append(RESPCommand("SELECT", 0)) }
            commands.append(checkpointCommand(marker))
            if database != 0 { commands.append(RESPCommand("SELECT", RESPArgument(database))) }
            commands.append(RESPCommand("EXEC"))
            let execIndex = commands.count - 1
            if let beacon { commands.append(beacon) }
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
            applied = pendingEnd
            let writer = writer
            let status = status
            let batch = commands
            try await batches.submit {
                let commands = batch
                let replies = try await writer.pipeline(commands)
                for (index, reply) in replies.enumerated() {
                    if let error = reply.serverError {
                        status.update { $0.errorReplies += 1 }
                        throw ChannelFailure.writeRefused(
                            command: index == execIndex ? "EXEC" : commands[index].name,
                            database: marker.database, error: error)
                    }
                }
                for (index, result) in (replies[execIndex].array ?? []).enumerated() {
                    if let error = result.serverError {
                        status.update { $0.errorReplies += 1 }
                        throw ChannelFailure.writeRefused(
                            command: commands[index + 1].name, database: marker.database, error: error)
                    }
                }
                status.update {
                    $0.appliedOffset = marker.offset
                    $0.appliedDatabase = marker.database
                    $0.commandsApplied += count
                    $0.applicationWrites += writes
                    $0.echoesSkipped += echoes
                    $0.lastCheckpoint = marker
                }
            }
        }

        private func checkpointCommand(_ marker: ReplicationPosition) -> RESPCommand {
            RESPCommand("SET", RESPArgument(channel.checkpointKey), RESPArgument(marker.markerText))
        }

        /// Writes commands and fails on the first error reply.
        func write(_ commands: [RESPCommand], context: String?) async throws {
            let replies = try await writer.pipeline(commands)
            for (index, reply) in replies.enumerated() {
                guard let error = reply.serverError else { continue }
                status.update { $0.errorReplies += 1 }
                if commands[index].name == "RESTORE", let key = commands[index].arguments.first {
                    throw ChannelFailure.writeRefused(
                        command: "RESTORE of key \(KeyText.printable(key.bytes))", database: database, error: error)
                }
                throw ChannelFailure.writeRefused(
                    command: context ?? commands[index].name, database: database, error: error)
            }
        }
    }
}
