import NIOCore
import NIOPosix

/// A connection in streaming mode: raw bytes in, commands out without waiting for replies.
///
/// This is the mode a replica uses: after the handshake the server sends a stream that answers no command,
/// and the replica writes `REPLCONF ACK`s that get no reply. Inbound bytes are handed on as they arrive,
/// with per-read buffers, under the channel's backpressure (reading pauses while the consumer is behind);
/// the consumer decides how much to buffer. ``with(_:_:)`` closes the connection when its body ends, throws
/// or is cancelled.
///
/// A server that sends nothing for ``RESPConnection/Configuration/streamIdleTimeout`` (while reading is
/// wanted) is dropped: the inbound stream throws ``RESPError/streamIdle(address:after:)``, as it throws when
/// the connection is cut (``RESPIdleReadHandler``).
package enum RESPStreamConnection {
    /// The two halves of an open streaming connection.
    package struct Stream: Sendable {
        /// The bytes the server sends, in order; ends when the server closes the connection.
        package let inbound: NIOAsyncChannelInboundStream<ByteBuffer>
        fileprivate let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        fileprivate let allocator: ByteBufferAllocator

        /// Writes commands back to back with one flush; no reply is expected or read.
        package func write(_ commands: [RESPCommand]) async throws {
            var buffer = allocator.buffer(capacity: commands.reduce(0) { $0 + $1.estimatedSize })
            for command in commands { command.encode(into: &buffer) }
            do {
                try await outbound.write(buffer)
            } catch {
                throw RESPError.closed
            }
        }
    }

    /// Connects (with TLS when configured), runs `body` with the stream and closes the connection.
    ///
    /// Nothing is sent before `body` runs: authentication is part of the protocol `body` speaks.
    package static func with<T: Sendable>(
        _ configuration: RESPConnection.Configuration,
        _ body: (Stream) async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let address = configuration.address
        let tls: RESPConnection.TLSSetup?
        do {
            tls = try RESPConnection.makeTLSSetup(configuration.tls, host: configuration.host)
        } catch {
            throw RESPError.unreachable(address: address, reason: error)
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .keepalive(configuration.keepalive)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(
                    .recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: 1 << 20)
                )
                .connectTimeout(.seconds(RESPConnection.connectTimeoutSeconds))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try tls?.addHandler(to: channel)
                        if let timeout = configuration.streamIdleTimeout {
                            try channel.pipeline.syncOperations.addHandler(
                                RESPIdleReadHandler(timeout: TimeAmount(timeout), address: address))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(
                                backPressureStrategy: .init(lowWatermark: 16, highWatermark: 64)))
                    }
                }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw RESPError.unreachable(address: address, reason: RESPConnection.connectFailure(error))
        }
        let allocator = channel.channel.allocator
        return try await channel.executeThenClose { inbound, outbound in
            try await withTaskCancellationHandler {
                try await body(Stream(inbound: inbound, outbound: outbound, allocator: allocator))
            } onCancel: {
                channel.channel.close(promise: nil)
            }
        }
    }
}
