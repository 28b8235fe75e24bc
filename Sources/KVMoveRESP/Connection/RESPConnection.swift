import KVMoveSecret
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An authenticated connection to one Redis server that pipelines commands.
///
/// `send` and `pipeline` may be called concurrently; replies come back in the order the calls reached
/// the connection. They do not hop onto the actor: a pipeline is encoded by the caller, written with one
/// flush (or a few, when `maxBytesInFlight` holds it back) and resumed once for the whole batch.
///
/// `connect`, `send` and `pipeline` honour task cancellation: a cancelled call ends promptly with
/// `CancellationError`. Once its commands were written, replies that were asked for can no longer be matched
/// with their commands, so cancelling it closes the connection, and every other call waiting on it fails with
/// `RESPError.closed`; a call whose commands the byte budget still held back is dropped without closing.
///
/// A command not answered within ``Configuration/commandTimeout`` (a blocking one: its block time on top) fails
/// with ``RESPError/commandTimedOut(address:command:after:)`` and closes the connection, failing every other
/// call waiting on it the same way. Every connection has TCP keepalive (``Configuration/keepalive``).
///
/// The pairing logic is ``RESPConnectionStateMachine``; ``RESPConnectionHandler`` only carries out its actions.
package actor RESPConnection {
    /// Where to connect and how to set the connection up.
    package struct Configuration: Sendable, CustomStringConvertible {
        package var host: String
        package var port: Int
        package var username: String?
        /// The password; no rendering of the configuration shows it.
        package var password: Secret?
        /// The database selected after connecting when it is not 0.
        package var database: Int
        /// The protocol: 2, or 3 (sent as `HELLO 3`, with `AUTH` when there is a password).
        package var protocolVersion: Int
        /// The bound on bytes written but not yet answered; one command is always allowed.
        package var maxBytesInFlight: Int
        /// The name set with `CLIENT SETNAME` after connecting.
        package var clientName: String?
        /// Plain TCP or TLS.
        package var tls: TLS
        /// How long the server may take to answer a command; nil waits for ever.
        ///
        /// A blocking command gets its block time on top. A command not answered in time closes the connection
        /// (``RESPError/commandTimedOut(address:command:after:)``).
        package var commandTimeout: Duration?
        /// How long a streaming connection may receive nothing before it is dropped; nil waits for ever.
        ///
        /// Only counted while reading is wanted (``RESPStreamConnection``); the stream then throws
        /// ``RESPError/streamIdle(address:after:)``.
        package var streamIdleTimeout: Duration?
        /// TCP keepalive, so that a peer that vanished (a host down, a dropped NAT mapping) is noticed even
        /// while nothing is sent; nil leaves the socket's defaults.
        package var keepalive: Keepalive?

        /// Creates a configuration.
        package init(
            host: String = "127.0.0.1",
            port: Int,
            username: String? = nil,
            password: Secret? = nil,
            database: Int = 0,
            protocolVersion: Int = 2,
            maxBytesInFlight: Int = 8 << 20,
            clientName: String? = nil,
            tls: TLS = .off,
            commandTimeout: Duration? = Self.defaultCommandTimeout,
            streamIdleTimeout: Duration? = Self.defaultStreamIdleTimeout,
            keepalive: Keepalive? = Keepalive()
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.protocolVersion = protocolVersion
            self.maxBytesInFlight = maxBytesInFlight
            self.clientName = clientName
            self.tls = tls
            self.commandTimeout = commandTimeout
            self.streamIdleTimeout = streamIdleTimeout
            self.keepalive = keepalive
        }

        /// The command timeout unless configured otherwise: 30 s, as valkey-swift's.
        package static let defaultCommandTimeout: Duration = .seconds(30)
        /// The replication stream's idle timeout unless configured otherwise: 60 s, as Redis's `repl-timeout`.
        package static let defaultStreamIdleTimeout: Duration = .seconds(60)

        /// `host:port`, the way an error names the address tried.
        package var address: String { "\(host):\(port)" }

        /// `host:port`, plus the database when it is not 0 and `(tls)` when TLS is on; never the password.
        package var description: String {
            (database == 0 ? address : "\(address) db \(database)") + (tls.isEnabled ? " (tls)" : "")
        }
    }

    /// How long connecting may take before it fails with `RESPConnectFailure.timedOut`.
    package static let connectTimeoutSeconds: Int64 = 10

    /// The configuration the connection was made with.
    package nonisolated let configuration: Configuration
    nonisolated let channel: any Channel
    private nonisolated let handler: NIOLoopBound<RESPConnectionHandler>
    /// Numbers the requests, so a cancelled call can name its own.
    private nonisolated let requestIDs = Atomic<UInt64>(0)

    init(channel: any Channel, handler: NIOLoopBound<RESPConnectionHandler>, configuration: Configuration) {
        self.channel = channel
        self.handler = handler
        self.configuration = configuration
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Connects, authenticates, names the connection and selects the database.
    ///
    /// Failing to reach the server throws `RESPError.unreachable` naming the address tried; a refused
    /// login throws the server's error (`WRONGPASS`, `NOAUTH`, …) as `RESPError.server`.
    package static func connect(_ configuration: Configuration) async throws -> RESPConnection {
        try Task.checkCancellation()
        let address = configuration.address
        let tls: TLSSetup?
        do {
            tls = try makeTLSSetup(configuration.tls, host: configuration.host)
        } catch {
            throw RESPError.unreachable(address: address, reason: error)
        }
        let maxBytesInFlight = configuration.maxBytesInFlight
        let commandTimeout = configuration.commandTimeout.map(TimeAmount.init)
        // The channel exists before the connect completes: cancelling closes it, which fails the connect.
        let pending = PendingChannel()
        let attached: (any Channel, NIOLoopBound<RESPConnectionHandler>)
        do {
            attached = try await withTaskCancellationHandler {
                try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .keepalive(configuration.keepalive)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelOption(
                        .recvAllocator,
                        value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 1 << 20)
                    )
                    .connectTimeout(.seconds(connectTimeoutSeconds))
                    .connect(host: configuration.host, port: configuration.port) { channel in
                        pending.attach(channel)
                        return channel.eventLoop.makeCompletedFuture {
                            try tls?.addHandler(to: channel)
                            return (
                                channel,
                                try Self.addHandlers(
                                    to: channel, maxBytesInFlight: maxBytesInFlight, commandTimeout: commandTimeout,
                                    address: address)
                            )
                        }
                    }
            } onCancel: {
                pending.cancel()
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw RESPError.unreachable(address: address, reason: Self.connectFailure(error))
        }
        let connection = RESPConnection(channel: attached.0, handler: attached.1, configuration: configuration)
        do {
            try await connection.handshake()
        } catch RESPError.closed {
            await connection.close()
            throw RESPError.unreachable(address: address, reason: .closedDuringHandshake)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Sorts a connect error into a reason a person can act on.
    static func connectFailure(_ error: any Error) -> RESPConnectFailure {
        if let error = error as? RESPConnectFailure { return error }
        if case ChannelError.connectTimeout = error { return .timedOut }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty { return .hostNotFound }  // no address was found to try
            let causes = error.connectionErrors.map(\.error)
            if let failure = causes.lazy.compactMap({ $0 as? RESPConnectFailure }).first { return failure }
            if causes.contains(where: { ($0 as? IOError)?.errnoCode == ECONNREFUSED }) { return .refused }
            if causes.contains(where: { if case ChannelError.connectTimeout = $0 { true } else { false } }) {
                return .timedOut
            }
            return .other(causes.map { "\($0)" }.joined(separator: "; "))
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return .refused }
        return .other("\(error)")
    }

    /// Adds the reply handler (which decodes replies itself) to a channel; call on its event loop.
    static func addHandlers(
        to channel: any Channel,
        maxBytesInFlight: Int,
        commandTimeout: TimeAmount? = nil,
        address: String = "the server"
    ) throws -> NIOLoopBound<RESPConnectionHandler> {
        let handler = RESPConnectionHandler(
            maxBytesInFlight: maxBytesInFlight, commandTimeout: commandTimeout, address: address)
        try channel.pipeline.syncOperations.addHandler(handler)
        return NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    /// Sends `HELLO`/`AUTH`, `CLIENT SETNAME` and `SELECT` as one pipeline and throws the first error reply.
    func handshake() async throws {
        var commands: [RESPCommand] = []
        let configuration = self.configuration
        if configuration.protocolVersion == 3 {
            var arguments: [RESPArgument] = [3]
            if let password = configuration.password {
                arguments += [
                    "AUTH", RESPArgument(configuration.username ?? "default"), RESPArgument(password.reveal()),
                ]
            }
            commands.append(RESPCommand("HELLO", arguments: arguments))
        } else if let password = configuration.password {
            if let username = configuration.username {
                commands.append(RESPCommand("AUTH", RESPArgument(username), RESPArgument(password.reveal())))
            } else {
                commands.append(RESPCommand("AUTH", RESPArgument(password.reveal())))
            }
        }
        if let name = configuration.clientName {
            commands.append(RESPCommand("CLIENT", "SETNAME", RESPArgument(name)))
        }
        if configuration.database != 0 {
            commands.append(RESPCommand("SELECT", RESPArgument(configuration.database)))
        }
        for reply in try await pipeline(commands) {
            if case .error(let error) = reply { throw RESPError.server(error) }
        }
    }

    /// Sends one command and returns its reply; an error reply is thrown as `RESPError.server`.
    package nonisolated func send(_ command: RESPCommand) async throws -> RESPValue {
        let replies = try await pipeline([command])
        guard let reply = replies.first else { throw RESPError.protocolViolation("no reply") }
        if case .error(let error) = reply { throw RESPError.server(error) }
        return reply
    }

    /// Sends commands back to back and returns their replies in order; error replies stay in place as `.error`.
    package nonisolated func pipeline(_ commands: [RESPCommand]) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        var estimate = 0
        for command in commands { estimate += command.estimatedSize }
        var payload = channel.allocator.buffer(capacity: estimate)
        var ends: [Int] = []
        ends.reserveCapacity(commands.count)
        var blocking: [Int: RESPCommand.Blocking] = [:]
        for (index, command) in commands.enumerated() {
            command.encode(into: &payload)
            ends.append(payload.readableBytes)
            if let time = command.blocking { blocking[index] = time }
        }
        return try await submit(payload: payload, ends: ends, blocking: blocking)
    }

    /// Hands encoded commands to the handler on the event loop and waits for all their replies.
    ///
    /// A cancelled task sends nothing. Cancellation while waiting throws `CancellationError`: a request the
    /// byte budget still held back is simply dropped, while one already written closes the connection (the
    /// replies still due would answer the next caller's commands).
    private nonisolated func submit(payload: ByteBuffer, ends: [Int], blocking: [Int: RESPCommand.Blocking])
        async throws -> [RESPValue]
    {
        try Task.checkCancellation()
        let handler = self.handler
        let eventLoop = channel.eventLoop
        let id = requestIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let cancelled = CancellationFlag()
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    eventLoop.execute {
                        // Cancelled before the request reached the handler: the cancel below found nothing.
                        if cancelled.isSet {
                            continuation.resume(throwing: CancellationError())
                            return
                        }
                        handler.value.enqueue(
                            .init(id: id, payload: payload, ends: ends, promise: continuation, blocking: blocking))
                    }
                }
            } onCancel: {
                cancelled.set()
                eventLoop.execute { handler.value.cancel(id) }
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Whether the socket is still open (false once either side closed it).
    package nonisolated var isOpen: Bool { channel.isActive }

    /// Selects a database on this connection.
    package func select(_ database: Int) async throws {
        _ = try await send(RESPCommand("SELECT", RESPArgument(database)))
    }

    /// Closes the connection; pending commands fail with `RESPError.closed`.
    package func close() async {
        try? await channel.close()
    }
}

/// The channels of a connect in progress (one per address tried), so that cancelling the connecting task
/// can close them.
private final class PendingChannel: Sendable {
    private let state = Mutex<(channels: [any Channel], cancelled: Bool)>(([], false))

    /// Remembers a channel; closes it at once when the connect was already cancelled.
    func attach(_ channel: any Channel) {
        let cancelled = state.withLock { state in
            state.channels.append(channel)
            return state.cancelled
        }
        if cancelled { channel.close(promise: nil) }
    }

    /// Marks the connect cancelled and closes every channel it has opened so far.
    func cancel() {
        let channels = state.withLock { state in
            state.cancelled = true
            return state.channels
        }
        for channel in channels { channel.close(promise: nil) }
    }
}

/// Set when a call is cancelled, read on the event loop before its request reaches the handler.
private final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
