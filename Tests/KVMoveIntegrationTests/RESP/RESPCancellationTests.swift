import KVMoveRESP
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite(
    "RESP calls honour task cancellation", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct RESPCancellationTests {
    @Test("a BLPOP blocked on the server ends at once when its task is cancelled, and closes the connection")
    func blockedCall() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect(clientName: "kvmove-blocked")
            let observer = try await server.connect(clientName: "kvmove-observer")
            let call = Task { try await connection.send(RESPCommand("BLPOP", "empty-list", 0)) }
            try await waitUntil("the BLPOP blocks on the server") {
                let list = try await observer.send(RESPCommand("CLIENT", "LIST")).string ?? ""
                return list.contains("name=kvmove-blocked") && list.contains("cmd=blpop")
            }
            let cancelled = ContinuousClock.now
            call.cancel()
            await #expect(throws: CancellationError.self) { try await call.value }
            // BLPOP with timeout 0 would wait forever: ending well within seconds is the cancellation.
            #expect(ContinuousClock.now - cancelled < .seconds(5))
            await #expect(throws: RESPError.self) { try await connection.send(RESPCommand("PING")) }
            try await waitUntil("kvmove closes the cancelled connection") { !connection.isOpen }
            try await waitUntil("the server drops the cancelled connection", timeout: .seconds(30)) {
                let list = try await observer.send(RESPCommand("CLIENT", "LIST")).string ?? ""
                return !list.contains("name=kvmove-blocked")
            }
            await observer.close()
        }
    }

    @Test("a connect whose handshake gets no answer ends at once when its task is cancelled")
    func silentServer() async throws {
        let received = ByteCounter()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SilentHandler(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let connect = Task { try await RESPConnection.connect(.init(port: port, clientName: "kvmove-test")) }
        // Only the start of the test: a loaded machine may take a while to get there.
        try await waitUntil("the handshake reaches the server", timeout: .seconds(30)) { received.count > 0 }
        let cancelled = ContinuousClock.now
        connect.cancel()
        await #expect(throws: CancellationError.self) { _ = try await connect.value }
        // The connect timeout is 10 s: ending well before it is the cancellation, not the timeout.
        #expect(ContinuousClock.now - cancelled < .seconds(5))
        try await listener.close()
    }

    @Test("a call in a task cancelled before it starts sends nothing and keeps the connection")
    func cancelledBeforehand() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect()
            let call = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await connection.send(RESPCommand("INCR", "counter"))
            }
            await #expect(throws: CancellationError.self) { try await call.value }
            #expect(try await connection.send(RESPCommand("GET", "counter")) == .null)
            await connection.close()
        }
    }
}

/// Bytes received by a ``SilentHandler``.
private final class ByteCounter: Sendable {
    private let bytes = Mutex(0)

    var count: Int { bytes.withLock { $0 } }

    func add(_ count: Int) { bytes.withLock { $0 += count } }
}

/// Counts the bytes a client sends and never answers.
private final class SilentHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: ByteCounter

    init(received: ByteCounter) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.add(unwrapInboundIn(data).readableBytes)
    }
}
