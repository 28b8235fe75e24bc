import KVMoveRESP
import NIOCore

extension ReplicaChannel {
    /// Applies one session's stream to the target: the driver of the state machines, and the only part
    /// that waits on I/O.
    struct Applier {
        typealias Chunks = AsyncStream<Result<ByteBuffer, any Error>>.Iterator

        let channel: ReplicaChannel
        let writer: RESPConnection
        let stream: RESPStreamConnection.Stream
        let status: ChannelStatus
        let resume: ReplicationPosition?
        let targetRDBVersion: Int

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
        var pending: [RESPCommand] = []
        var pendingBytes = 0
        var pendingEnd: Int64 = 0
        var applied: Int64 = 0
        var pendingKeys = 0

        init(
            channel: ReplicaChannel, writer: RESPConnection, stream: RESPStreamConnection.Stream,
            status: ChannelStatus, resume: ReplicationPosition?, targetRDBVersion: Int
        ) {
            self.channel = channel
            self.writer = writer
            self.stream = stream
            self.status = status
            self.resume = resume
            self.targetRDBVersion = targetRDBVersion
        }

        /// The next chunk from the reader, appended to the buffer.
        mutating func read(_ chunks: inout Chunks) async throws {
            guard let next = await chunks.next() else { throw CancellationError() }
            var chunk = try next.get()
            if buffer.readerIndex > 1 << 20, buffer.readerIndex > buffer.readableBytes {
                buffer.discardReadBytes()
            }
            buffer.writeBuffer(&chunk)
        }

        /// Runs the handshake; returns the offset to acknowledge until something is applied.
        mutating func handshake(_ chunks: inout Chunks, username: String?, password: String?) async throws -> Int64 {
            var handshake = ReplicaHandshake(
                username: username, password: password, clientName: ClientRole.sync.clientName, resume: resume)
            var action = handshake.start()
            while true {
                switch action {
                case .send(let command):
                    try await stream.write([command])
                    action = try handshake.receive(&buffer)
                case .wait:
                    try await read(&chunks)
                    action = try handshake.receive(&buffer)
                case .fullResync(let id, let offset):
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
                    parser = ReplicationStreamParser(fullSync: false)
                    // A continued stream does not select the database again: the connection must.
                    _ = try await writer.send(RESPCommand("SELECT", RESPArgument(resume.database)))
                    status.update {
                        $0.phase = .streaming
                        $0.replicationId = replicationId
                        $0.appliedOffset = applied
                        $0.appliedDatabase = resume.database
                        $0.continues += 1
                    }
                    return resume.offset
                }
            }
        }

        /// Applies events until the stream ends or fails.
        mutating func apply(_ chunks: inout Chunks) async throws {
            while true {
                try Task.checkCancellation()
                while let event = try parser.next(from: &buffer) {
                    try await handle(event)
                }
                if parser.isStreaming {
                    try await flushStream()
                } else {
                    status.update {
                        $0.fullSyncBytes = parser.rdbBytes
                    }
                }
                try await read(&chunks)
            }
        }

        private mutating func handle(_ event: ReplicationStreamParser.Event) async throws {
            switch event {
            case .rdbStarted(let length):
                _ = try await writer.send(RESPCommand("FLUSHALL"))
                _ = try await writer.send(RESPCommand("SELECT", 0))
                database = 0
                status.update {
                    $0.phase = .fullSync
                    $0.replicationId = replicationId
                    $0.fullSyncs += 1
                    $0.fullSyncKeys = 0
                    $0.fullSyncBytes = 0
                    $0.fullSyncBytesTotal = length
                    $0.appliedOffset = nil
                }
            case .rdb(let item):
                try await handle(item)
            case .rdbFinished:
                try await flushRestores()
                // The snapshot is applied: only now does the target hold a checkpoint.
                let marker = ReplicationPosition(replicationId: replicationId, offset: base, database: streamDatabase)
                var commands = [RESPCommand("SELECT", 0), checkpointCommand(marker)]
                commands.append(RESPCommand("SELECT", RESPArgument(streamDatabase)))
                try await write(commands, context: "the checkpoint")
                database = streamDatabase
                applied = base
                pendingEnd = base
                status.update {
                    $0.phase = .streaming
                    $0.appliedOffset = base
                    $0.appliedDatabase = streamDatabase
                    $0.fullSyncBytes = parser.rdbBytes
                }
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

        private mutating func handle(_ item: RDBEvent) async throws {
            switch item {
            case .header(let version):
                footerVersion = min(version, targetRDBVersion)
            case .aux(let key, let value):
                if key == "repl-stream-db", let db = Int(String(buffer: value)) { streamDatabase = db }
            case .selectDatabase(let db):
                pending.append(RESPCommand("SELECT", RESPArgument(db)))
                database = db
            case .resizeDatabase, .end:
                break
            case .function(let body):
                pending.append(
                    RESPCommand(
                        "FUNCTION", "RESTORE", RESPArgument(DumpPayload.make(body: body, rdbVersion: footerVersion)),
                        "REPLACE"))
            case .key(let record):
                var expireAt = 0
                if let at = record.expireAtMilliseconds {
                    // The TTL gap: a key about to expire is kept long enough for the stream to renew or delete it.
                    expireAt = Int(max(at, Keyspace.nowMilliseconds() + channel.options.ttlMarginMilliseconds))
                }
                let payload = DumpPayload.make(type: record.type, value: record.value, rdbVersion: footerVersion)
                var arguments: [RESPArgument] = [
                    RESPArgument(record.key), RESPArgument(expireAt), RESPArgument(payload), "REPLACE", "ABSTTL",
                ]
                if let idle = record.idleSeconds { arguments += ["IDLETIME", RESPArgument(idle)] }
                if let frequency = record.frequency { arguments += ["FREQ", RESPArgument(Int(frequency))] }
                pending.append(RESPCommand("RESTORE", arguments: arguments))
                pendingBytes += payload.readableBytes + record.key.readableBytes
                pendingKeys += 1
                if pending.count >= channel.options.batchCommands || pendingBytes >= channel.options.batchBytes {
                    try await flushRestores()
                }
            }
        }

        /// Queues a stream command; skips what only the replica link uses and the source's own MULTI/EXEC
        /// (the batch is one transaction on the target, so the source's transaction stays whole).
        private mutating func queue(_ frame: RESPCommandFrame) {
            guard !frame.arguments.isEmpty else { return }
            if frame.isCommand("PING") { return }
            if frame.isCommand("MULTI") {
                inTransaction = true
                return
            }
            if frame.isCommand("EXEC") {
                inTransaction = false
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
            }
            let name = String(buffer: frame.arguments[0])
            pending.append(RESPCommand(name, arguments: frame.arguments.dropFirst().map { RESPArgument($0) }))
            pendingBytes += frame.byteCount
        }

        var ackNow = false

        /// Writes the queued snapshot keys (plain pipeline: `RESTORE … REPLACE` is idempotent, and a full sync
        /// cut short starts again from `FLUSHALL`).
        private mutating func flushRestores() async throws {
            guard !pending.isEmpty else { return }
            let commands = pending
            let keys = pendingKeys
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
            pendingKeys = 0
            try await write(commands, context: nil)
            status.update {
                $0.fullSyncKeys += keys
                $0.fullSyncBytes = parser.rdbBytes
            }
        }

        /// Writes the queued stream commands and the checkpoint as one transaction.
        private mutating func flushStream() async throws {
            if ackNow {
                ackNow = false
                try await stream.write([RESPCommand("REPLCONF", "ACK", RESPArgument(Int(applied)))])
            }
            guard !inTransaction, pendingEnd > applied else { return }
            let count = pending.count
            var commands = [RESPCommand("MULTI")]
            commands.append(contentsOf: pending)
            let marker = ReplicationPosition(replicationId: replicationId, offset: pendingEnd, database: database)
            if database != 0 { commands.append(RESPCommand("SELECT", 0)) }
            commands.append(checkpointCommand(marker))
            if database != 0 { commands.append(RESPCommand("SELECT", RESPArgument(database))) }
            commands.append(RESPCommand("EXEC"))
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
            let replies = try await writer.pipeline(commands)
            for (index, reply) in replies.enumerated() {
                if let error = reply.serverError {
                    status.update { $0.errorReplies += 1 }
                    throw ChannelFailure.writeRefused(
                        command: index == replies.count - 1 ? "EXEC" : commands[index].name, database: database,
                        error: error)
                }
            }
            for (index, result) in (replies.last?.array ?? []).enumerated() {
                if let error = result.serverError {
                    status.update { $0.errorReplies += 1 }
                    throw ChannelFailure.writeRefused(
                        command: commands[index + 1].name, database: database, error: error)
                }
            }
            applied = pendingEnd
            status.update {
                $0.appliedOffset = pendingEnd
                $0.appliedDatabase = database
                $0.commandsApplied += count
            }
        }

        private func checkpointCommand(_ marker: ReplicationPosition) -> RESPCommand {
            RESPCommand("SET", RESPArgument(channel.checkpointKey), RESPArgument(marker.markerText))
        }

        /// Writes commands and fails on the first error reply.
        private func write(_ commands: [RESPCommand], context: String?) async throws {
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
