import KVMoveRESP
import Logging
import NIOCore
import NIOPosix
import Synchronization

extension ReplicaChannel.Applier {
    /// Relays the snapshot that begins now to the target, which loads it as a replica loads its primary's;
    /// returns false, having consumed nothing, when this target cannot take it that way.
    ///
    /// The target is made a replica of a one-time listener in this process (`CONFIG SET masterauth` to a
    /// random secret, then `REPLICAOF`), answered as its primary would (``RelayHandshake``), and sent the
    /// source's RDB as it is read, through ``SnapshotRewriter`` (expiries closer than the TTL margin moved out,
    /// the checksum computed again). Loading, the target empties itself, function libraries included, as a
    /// full sync must. Once it acknowledges (it has loaded), it is made a primary again and its `masterauth`
    /// restored; the checkpoint follows as after a `RESTORE` full sync. A failure on the way makes it a primary
    /// again before it is thrown.
    ///
    /// It returns false for a target that refuses `CONFIG` or `REPLICAOF` (managed services rename them) or
    /// that cannot load the source's RDB version; the snapshot is then applied with `RESTORE`.
    mutating func relaySnapshot() async throws -> Bool {
        guard let host = channel.options.relayHost, status.snapshot.relayUnavailable == nil else { return false }
        // A target loads only RDB versions it knows: read the header's version before choosing.
        while buffer.readableBytes < 9 { try await read() }
        guard let header = buffer.getString(at: buffer.readerIndex, length: 9), header.hasPrefix("REDIS"),
            let version = Int(header.dropFirst(5))
        else { return false }  // not an RDB: the splitter says so
        guard version <= targetRDBVersion else {
            Self.relayLogger.info(
                "full sync through RESTORE: the target cannot load the source's RDB",
                metadata: ["rdb-version": "\(version)", "target-rdb-version": "\(targetRDBVersion)"])
            return false
        }
        let configured = try await writer.pipeline([RESPCommand("CONFIG", "GET", "masterauth")])
        guard let reply = configured.first, reply.serverError == nil else { return false }
        let originalAuth = reply.pairs?.first?.value.string ?? ""
        let secret = Self.oneTimeSecret()

        let connections = RelayConnections()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .bind(host: host, port: 0) { child in
                child.eventLoop.makeCompletedFuture { try connections.wrap(child) }
            }
        guard let port = server.channel.localAddress?.port else {
            try? await server.channel.close()
            return false
        }
        let made = try await writer.pipeline([
            RESPCommand("CONFIG", "SET", "masterauth", RESPArgument(secret)),
            RESPCommand("REPLICAOF", RESPArgument(host), RESPArgument(port)),
        ])
        if let error = made.lazy.compactMap(\.serverError).first {
            Self.relayLogger.info(
                "full sync through RESTORE: the target refused to be made a replica",
                metadata: ["reply": "\(error)"])
            _ = try? await writer.pipeline([RESPCommand("CONFIG", "SET", "masterauth", RESPArgument(originalAuth))])
            try? await server.executeThenClose { _ in await connections.closeAll() }
            return false
        }
        status.update { $0.fullSyncMethod = .relay }
        let undo = [
            RESPCommand("REPLICAOF", "NO", "ONE"),
            RESPCommand("CONFIG", "SET", "masterauth", RESPArgument(originalAuth)),
        ]
        do {
            // The target connects within a second or two; a listener nobody reaches in time is closed, ending the wait.
            let connectTimeout = channel.options.relayConnectTimeout
            let watchdog = Task { [server] in
                try await Task.sleep(for: connectTimeout)
                server.channel.close(promise: nil)
            }
            defer { watchdog.cancel() }
            try await server.executeThenClose { accepted in
                do {
                    for try await connection in accepted {
                        connections.taken(connection)
                        // A peer that does not finish the handshake promptly is dropped, so it cannot hold
                        // the relay from the target.
                        let patience = Task { [channel = connection.channel] in
                            try await Task.sleep(for: .seconds(5))
                            channel.close(promise: nil)
                        }
                        let served = try await connection.executeThenClose { inbound, outbound in
                            guard
                                try await serveRelay(
                                    inbound: inbound, outbound: outbound, secret: secret,
                                    timers: [patience, watchdog])
                            else { return false }
                            // Loaded: no more connections, and a primary again before this link closes (or
                            // the target would try to reconnect to it).
                            connections.stop()
                            try await write(undo, context: "REPLICAOF NO ONE after the relayed snapshot")
                            return true
                        }
                        patience.cancel()
                        if served { break }
                    }
                } catch {
                    await connections.closeAll()
                    throw error
                }
                await connections.closeAll()
                guard connections.served else {
                    throw ReplicationError.relayFailed(
                        "it did not connect to the relay at \(host):\(port) within \(connectTimeout) (is that address reachable "
                            + "from the target, and does it replicate without TLS?)")
                }
            }
        } catch {
            if case ReplicationError.relayFailed(let detail) = error {
                status.update { $0.relayUnavailable = detail }
            }
            // The target must not stay a replica of a listener that is gone: undone even when the task was
            // cancelled (a task of its own does not inherit that). Left undone (the writer broke too, or
            // kill -9), the next session does it.
            let writer = writer
            await Task { _ = try? await writer.pipeline(undo) }.value
            throw error
        }
        try await snapshotApplied()
        return true
    }

    /// Serves one connection to the relay; true once the target has loaded the snapshot.
    ///
    /// False when the peer was not the target (it did not authenticate). `timers` (the peer's and the
    /// listener's deadlines) are cancelled once the target has asked for the snapshot.
    private mutating func serveRelay(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        secret: String, timers: [Task<Void, any Error>]
    ) async throws -> Bool {
        var handshake = RelayHandshake(secret: secret)
        var received = ByteBuffer()
        var replies = inbound.makeAsyncIterator()
        var endMark = true
        handshaking: while true {
            let step: RelayHandshake.Action
            do {
                step = try handshake.receive(&received)
            } catch {
                return false  // not a replica's handshake (another program, or a target speaking TLS)
            }
            switch step {
            case .reply(let text):
                try await outbound.write(ByteBuffer(string: text))
            case .refuse(let text):
                try? await outbound.write(ByteBuffer(string: text))
                return false
            case .wait:
                guard var more = try await replies.next() else { return false }
                received.writeBuffer(&more)
            case .fullSync(let withMark):
                endMark = withMark
                break handshaking
            case .acknowledged:
                continue
            }
        }
        // The target is here: the snapshot may take as long as it takes, the listener stays.
        for timer in timers { timer.cancel() }
        guard endMark || parser.announcedRDBLength != nil else {
            throw ReplicationError.relayFailed(
                "it cannot take a snapshot of unknown length (no 'capa eof'), and the source sends one")
        }
        let mark = Self.oneTimeSecret()
        let preamble =
            endMark
            ? "+FULLRESYNC \(replicationId) \(base)\r\n$EOF:\(mark)\r\n"
            : "+FULLRESYNC \(replicationId) \(base)\r\n$\(parser.announcedRDBLength ?? 0)\r\n"
        try await outbound.write(ByteBuffer(string: preamble))
        try await forwardSnapshot(to: outbound)
        if endMark { try await outbound.write(ByteBuffer(string: mark)) }
        try await acknowledgeSnapshot()
        // The target acknowledges once it has loaded what it was sent.
        while true {
            let step: RelayHandshake.Action
            do {
                step = try handshake.receive(&received)
            } catch {
                throw ReplicationError.relayFailed("it sent what a replica does not: \(error)")
            }
            switch step {
            case .acknowledged:
                return true
            case .wait:
                guard var more = try await replies.next() else {
                    throw ReplicationError.relayFailed(
                        "it closed the relay before it had loaded the snapshot (see the target's log)")
                }
                received.writeBuffer(&more)
            case .reply, .refuse, .fullSync:
                continue
            }
        }
    }

    /// Reads the snapshot through its end, passing its bytes on (rewritten) as they are parsed.
    private mutating func forwardSnapshot(to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var rewriter = SnapshotRewriter(marginMilliseconds: channel.options.ttlMarginMilliseconds)
        var out = ByteBuffer()
        out.reserveCapacity(Self.relayWriteBytes)
        var version = 0
        var keys = 0
        var reported = 0
        while true {
            let rdbBefore = parser.rdbBytes
            var event: ReplicationStreamParser.Event?
            do {
                // Shares the bytes (the parser only moves the reader index): what it consumed is sliced from
                // here. Released before the next read, which would otherwise copy the buffer to append.
                let unread = buffer
                event = try parser.next(from: &buffer)
                let consumed = parser.rdbBytes - rdbBefore
                var isEnd = false
                if case .rdb(.end) = event { isEnd = true }
                if consumed > 0, var slice = unread.getSlice(at: unread.readerIndex, length: consumed) {
                    slice = rewriter.rewrite(
                        slice, expiry: parser.rdbLastExpiryField, end: isEnd, version: version,
                        now: Keyspace.nowMilliseconds())
                    out.writeBuffer(&slice)
                }
            }
            switch event {
            case nil:
                try await send(&out, to: outbound)
                if keys != reported {
                    reported = keys
                    reportProgress(keys: keys, keptLonger: rewriter.keysKeptLonger)
                }
                try await read()
            case .rdb(.header(let read))?:
                version = read
            case .rdb(.key)?:
                keys += 1
            case .rdb(.aux(let key, let value))?:
                try await handle(.aux(key: key, value: value))  // the stream's database (repl-stream-db)
            case .rdb?:
                break  // databases, functions and the end go to the target as they are
            case .rdbFinished?:
                try await send(&out, to: outbound)
                reportProgress(keys: keys, keptLonger: rewriter.keysKeptLonger)
                return
            case .rdbStarted?, .command?:
                throw ReplicationError.protocolViolation("the stream went on before the snapshot ended")
            }
            if out.readableBytes >= Self.relayWriteBytes { try await send(&out, to: outbound) }
        }
    }

    /// Shows the relayed snapshot's progress in status.
    private func reportProgress(keys: Int, keptLonger: Int) {
        let rdbBytes = parser.rdbBytes
        status.update {
            $0.fullSyncKeys = keys
            $0.fullSyncBytes = rdbBytes
            $0.fullSyncKeysKeptLonger = keptLonger
        }
    }

    private func send(_ out: inout ByteBuffer, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        guard out.readableBytes > 0 else { return }
        let bytes = out
        out = ByteBuffer()
        out.reserveCapacity(Self.relayWriteBytes)
        do {
            try await outbound.write(bytes)
        } catch {
            throw ReplicationError.relayFailed("its relay connection broke: \(error)")
        }
    }

    /// Bytes gathered before one write to the target.
    private static var relayWriteBytes: Int { 256 << 10 }

    private static var relayLogger: Logger { Logger(label: "kvmove.sync.relay") }

    /// Forty random hex digits: the target's one-time `masterauth`, and the snapshot's end mark.
    private static func oneTimeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<40).map { _ in digits[Int(generator.next() % 16)] })
    }
}

/// The connections the relay accepted: each is closed properly (NIO requires its writer finished), and once
/// the target has its snapshot no more are accepted.
private final class RelayConnections: Sendable {
    private struct State {
        var open = true
        var served = false
        var waiting: [ObjectIdentifier: NIOAsyncChannel<ByteBuffer, ByteBuffer>] = [:]
    }

    private let state = Mutex(State())

    /// Wraps an accepted connection (on its event loop); fails, closing it, once the relay is done.
    func wrap(_ channel: any Channel) throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try state.withLock { state in
            guard state.open else { throw ChannelError.ioOnClosedChannel }
            let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            state.waiting[ObjectIdentifier(channel)] = wrapped
            return wrapped
        }
    }

    /// The relay is serving this connection itself.
    func taken(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// The target has its snapshot: later connections are refused.
    func stop() {
        state.withLock {
            $0.open = false
            $0.served = true
        }
    }

    /// Whether the target got its snapshot.
    var served: Bool { state.withLock { $0.served } }

    /// Refuses later connections and closes every accepted one the relay did not serve.
    func closeAll() async {
        let waiting = state.withLock { state in
            state.open = false
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for connection in waiting { try? await connection.executeThenClose { _, _ in } }
    }
}
