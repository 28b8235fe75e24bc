import NIOCore
import NIOPosix

/// An authenticated connection to one Redis server that pipelines commands.
///
/// `send` and `pipeline` may be called concurrently; replies come back in the order the calls reached
/// the connection. They do not hop onto the actor: a pipeline is encoded by the caller, written with one
/// flush (or a few, when `maxBytesInFlight` holds it back) and resumed once for the whole batch.
package actor RESPConnection {
    /// Where to connect and how to set the connection up.
    package struct Configuration: Sendable, CustomStringConvertible {
        package var host: String
        package var port: Int
        package var username: String?
        /// The password; never logged or printed.
        package var password: String?
        /// The database selected after connecting when it is not 0.
        package var database: Int
        /// The protocol: 2, or 3 (sent as `HELLO 3`, with `AUTH` when there is a password).
        package var protocolVersion: Int
        /// The bound on bytes written but not yet answered; one command is always allowed.
        package var maxBytesInFlight: Int
        /// The name set with `CLIENT SETNAME` after connecting.
        package var clientName: String?

        /// Creates a configuration.
        package init(
            host: String = "127.0.0.1",
            port: Int,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            protocolVersion: Int = 2,
            maxBytesInFlight: Int = 8 << 20,
            clientName: String? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.protocolVersion = protocolVersion
            self.maxBytesInFlight = maxBytesInFlight
            self.clientName = clientName
        }

        /// `host:port`, plus the database when it is not 0; never the password.
        package var description: String {
            database == 0 ? "\(host):\(port)" : "\(host):\(port) db \(database)"
        }
    }

    /// The configuration the connection was made with.
    package nonisolated let configuration: Configuration
    private nonisolated let channel: any Channel
    private nonisolated let handler: NIOLoopBound<RESPConnectionHandler>

    init(channel: any Channel, handler: NIOLoopBound<RESPConnectionHandler>, configuration: Configuration) {
        self.channel = channel
        self.handler = handler
        self.configuration = configuration
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Connects, authenticates, names the connection and selects the database.
    package static func connect(_ configuration: Configuration) async throws -> RESPConnection {
        let maxBytesInFlight = configuration.maxBytesInFlight
        let attached: (any Channel, NIOLoopBound<RESPConnectionHandler>)
        do {
            attached = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(
                    .recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 1 << 20)
                )
                .connectTimeout(.seconds(10))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        (channel, try Self.addHandlers(to: channel, maxBytesInFlight: maxBytesInFlight))
                    }
                }
        } catch {
            throw RESPError.connection("cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        let connection = RESPConnection(channel: attached.0, handler: attached.1, configuration: configuration)
        do {
            try await connection.handshake()
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Adds the decoder and the reply handler to a channel; call on its event loop.
    static func addHandlers(to channel: any Channel, maxBytesInFlight: Int) throws -> NIOLoopBound<
        RESPConnectionHandler
    > {
        let handler = RESPConnectionHandler(maxBytesInFlight: maxBytesInFlight)
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPReplyDecoder()))
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
                arguments += ["AUTH", RESPArgument(configuration.username ?? "default"), RESPArgument(password)]
            }
            commands.append(RESPCommand("HELLO", arguments: arguments))
        } else if let password = configuration.password {
            if let username = configuration.username {
                commands.append(RESPCommand("AUTH", RESPArgument(username), RESPArgument(password)))
            } else {
                commands.append(RESPCommand("AUTH", RESPArgument(password)))
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
        for command in commands {
            command.encode(into: &payload)
            ends.append(payload.readableBytes)
        }
        return try await submit(payload: payload, ends: ends)
    }

    /// Hands encoded commands to the handler on the event loop and waits for all their replies.
    private nonisolated func submit(payload: ByteBuffer, ends: [Int]) async throws -> [RESPValue] {
        let handler = self.handler
        let eventLoop = channel.eventLoop
        return try await withCheckedThrowingContinuation { continuation in
            eventLoop.execute {
                handler.value.enqueue(.init(payload: payload, ends: ends, continuation: continuation))
            }
        }
    }

    /// Selects a database on this connection.
    package func select(_ database: Int) async throws {
        _ = try await send(RESPCommand("SELECT", RESPArgument(database)))
    }

    /// Closes the connection; pending commands fail with `RESPError.closed`.
    package func close() async {
        try? await channel.close()
    }
}
