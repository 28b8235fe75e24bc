import KVMoveSecret
import NIOCore
import NIOEmbedded
import Testing

@testable import KVMoveRESP

@Suite("RESP connection over a test channel")
struct RESPConnectionTests {
    private func makeConnection(
        _ configuration: RESPConnection.Configuration = .init(port: 6379)
    ) async throws -> (NIOAsyncTestingChannel, RESPConnection) {
        let channel = NIOAsyncTestingChannel()
        let handler = try await channel.eventLoop.submit {
            try RESPConnection.addHandlers(to: channel, maxBytesInFlight: configuration.maxBytesInFlight)
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        return (channel, RESPConnection(channel: channel, handler: handler, configuration: configuration))
    }

    private func outbound(_ channel: NIOAsyncTestingChannel) async throws -> String {
        String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
    }

    @Test("a pipeline is written in order with one write and answered in order")
    func pipelineOrder() async throws {
        let (channel, connection) = try await makeConnection()
        async let replies = connection.pipeline([
            RESPCommand("SET", "a", "1"), RESPCommand("GET", "a"), RESPCommand("BAD"),
        ])
        #expect(
            try await outbound(channel)
                == "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$3\r\nBAD\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n$1\r\n1\r\n-ERR unknown command\r\n"))
        let values = try await replies
        #expect(
            values == [
                .simpleString("OK"), .bulkString(ByteBuffer(string: "1")),
                .error(RESPServerError(code: "ERR", message: "unknown command")),
            ])
    }

    @Test("send throws an error reply as a server error")
    func sendThrows() async throws {
        let (channel, connection) = try await makeConnection()
        async let reply = connection.send(RESPCommand("INCR", "s"))
        _ = try await outbound(channel)
        try await channel.writeInbound(ByteBuffer(string: "-WRONGTYPE Operation against a key\r\n"))
        do {
            _ = try await reply
            Issue.record("expected a failure")
        } catch {
            #expect(error is RESPError)
        }
    }

    @Test("the byte budget holds back commands until earlier ones are answered")
    func budget() async throws {
        let (channel, connection) = try await makeConnection(.init(port: 6379, maxBytesInFlight: 30))
        async let replies = connection.pipeline([
            RESPCommand("GET", "a"), RESPCommand("GET", "b"), RESPCommand("GET", "c"),
        ])
        // Each GET is 22 bytes: the first fits, the second would exceed 30 bytes in flight.
        #expect(try await outbound(channel) == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await channel.writeInbound(ByteBuffer(string: "$1\r\nA\r\n"))
        #expect(try await outbound(channel) == "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n")
        try await channel.writeInbound(ByteBuffer(string: "$1\r\nB\r\n"))
        #expect(try await outbound(channel) == "*2\r\n$3\r\nGET\r\n$1\r\nc\r\n")
        try await channel.writeInbound(ByteBuffer(string: "_\r\n"))
        #expect(try await replies.map(\.string) == ["A", "B", nil])
    }

    @Test("RESP2 handshake: AUTH, CLIENT SETNAME and SELECT in one write")
    func handshakeRESP2() async throws {
        let (channel, connection) = try await makeConnection(
            .init(port: 6379, username: "app", password: Secret("s3cret"), database: 2, clientName: "kvmove-test"))
        async let done: Void = connection.handshake()
        let expected =
            "*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\ns3cret\r\n"
            + "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$11\r\nkvmove-test\r\n" + "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
        #expect(try await outbound(channel) == expected)
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n+OK\r\n+OK\r\n"))
        try await done
    }

    @Test("RESP3 handshake: HELLO 3 AUTH default password")
    func handshakeRESP3() async throws {
        let (channel, connection) = try await makeConnection(
            .init(port: 6379, password: Secret("pw"), protocolVersion: 3))
        async let done: Void = connection.handshake()
        #expect(
            try await outbound(channel) == "*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$2\r\npw\r\n"
        )
        try await channel.writeInbound(ByteBuffer(string: "%1\r\n+server\r\n+redis\r\n"))
        try await done
    }

    @Test("a failed AUTH fails the handshake with the server's error")
    func handshakeWrongPassword() async throws {
        let (channel, connection) = try await makeConnection(.init(port: 6379, password: Secret("nope")))
        async let done: Void = connection.handshake()
        _ = try await outbound(channel)
        try await channel.writeInbound(ByteBuffer(string: "-WRONGPASS invalid username-password pair\r\n"))
        do {
            try await done
            Issue.record("the handshake should have failed")
        } catch RESPError.server(let error) {
            #expect(error.code == "WRONGPASS")
        }
    }

    @Test("closing fails pending commands and later ones")
    func closeFailsPending() async throws {
        let (channel, connection) = try await makeConnection()
        async let reply = connection.send(RESPCommand("BLPOP", "q", 0))
        _ = try await outbound(channel)
        try await channel.close()
        do {
            _ = try await reply
            Issue.record("expected a failure")
        } catch {
            #expect(error is RESPError)
        }
        await #expect(throws: RESPError.self) { _ = try await connection.send(RESPCommand("PING")) }
    }

    @Test("garbage from the server fails pending commands with a protocol violation")
    func garbage() async throws {
        let (channel, connection) = try await makeConnection()
        async let reply = connection.send(RESPCommand("PING"))
        _ = try await outbound(channel)
        _ = try? await channel.writeInbound(ByteBuffer(string: "?garbage\r\n"))
        do {
            _ = try await reply
            Issue.record("expected a failure")
        } catch RESPError.protocolViolation {
        } catch {
            Issue.record("expected a protocol violation, got \(error)")
        }
    }

    @Test("push messages do not answer commands")
    func pushIgnored() async throws {
        let (channel, connection) = try await makeConnection()
        async let reply = connection.send(RESPCommand("PING"))
        _ = try await outbound(channel)
        try await channel.writeInbound(ByteBuffer(string: ">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+PONG\r\n"))
        #expect(try await reply == .simpleString("PONG"))
    }

    @Test("the configuration's description never shows the password")
    func descriptionHidesPassword() {
        var configuration = RESPConnection.Configuration(port: 6380, password: Secret("hunter2"), database: 3)
        #expect("\(configuration)" == "127.0.0.1:6380 db 3")
        configuration.tls = .on(caCertificateFile: "/etc/ca.pem")
        #expect("\(configuration)" == "127.0.0.1:6380 db 3 (tls)")
        #expect(!String(reflecting: configuration).contains("hunter2"))
    }

    @Test("a cancelled call closes the connection and ends with CancellationError")
    func cancelClosesConnection() async throws {
        let (channel, connection) = try await makeConnection()
        let call = Task { try await connection.send(RESPCommand("BLPOP", "q", 0)) }
        _ = try await outbound(channel)
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        try await channel.closeFuture.get()
        await #expect(throws: RESPError.self) { _ = try await connection.send(RESPCommand("PING")) }
    }
}
