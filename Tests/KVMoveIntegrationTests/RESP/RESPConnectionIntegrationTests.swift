import KVMoveRESP
import KVMoveSecret
import NIOCore
import Testing

@Suite(
    "RESP connection against redis-server", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct RESPConnectionIntegrationTests {
    @Test("AUTH works and a wrong password is a typed error")
    func authentication() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect(clientName: "kvmove-test")
            #expect(try await connection.send(RESPCommand("PING")) == .simpleString("PONG"))
            #expect(try await connection.send(RESPCommand("CLIENT", "GETNAME")).string == "kvmove-test")
            await connection.close()

            var wrong = server.configuration()
            wrong.password = Secret("not-the-password")
            do {
                _ = try await RESPConnection.connect(wrong)
                Issue.record("connecting with a wrong password should fail")
            } catch RESPError.server(let error) {
                #expect(error.code == "WRONGPASS")
            }

            var anonymous = server.configuration()
            anonymous.password = nil
            let unauthenticated = try await RESPConnection.connect(anonymous)
            do {
                _ = try await unauthenticated.send(RESPCommand("GET", "k"))
                Issue.record("a command without AUTH should fail")
            } catch RESPError.server(let error) {
                #expect(error.code == "NOAUTH")
            }
            await unauthenticated.close()
        }
    }

    @Test("a refused connection names host and port and says what to do")
    func refused() async throws {
        let port = try await RedisServerFixture.with { $0.port }  // stopped now, so nothing listens there
        do {
            _ = try await RESPConnection.connect(.init(port: port))
            Issue.record("expected a connection error")
        } catch RESPError.unreachable(let address, let reason) {
            #expect(address == "127.0.0.1:\(port)")
            #expect(reason == .refused)
            #expect(
                "\(RESPError.unreachable(address: address, reason: reason))"
                    == "(redis) cannot connect to 127.0.0.1:\(port): connection refused; check the address and that "
                    + "this machine can reach it: run kvmove inside the VPC or use a public address")
        }
    }

    @Test("the configured database is selected, and select switches it")
    func selectDatabase() async throws {
        try await RedisServerFixture.with { server in
            let inThree = try await server.connect(database: 3)
            _ = try await inThree.send(RESPCommand("SET", "where", "three"))
            let other = try await server.connect()
            #expect(try await other.send(RESPCommand("GET", "where")) == .null)
            try await other.select(3)
            #expect(try await other.send(RESPCommand("GET", "where")).string == "three")
            await inThree.close()
            await other.close()
        }
    }

    @Test("a pipeline of 10,000 commands under a small byte budget returns in order")
    func bigPipeline() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await RESPConnection.connect(server.configuration(maxBytesInFlight: 512))
            let commands = (0..<10_000).map { RESPCommand("ECHO", RESPArgument("value-\($0)")) }
            let replies = try await connection.pipeline(commands)
            #expect(replies.count == 10_000)
            #expect(replies.enumerated().allSatisfy { $0.element.string == "value-\($0.offset)" })

            async let first = connection.pipeline((0..<1000).map { RESPCommand("INCR", RESPArgument("c\($0 % 7)")) })
            async let second = connection.send(RESPCommand("PING"))
            _ = try await (first, second)
            await connection.close()
        }
    }

    @Test("error replies in a pipeline stay in place")
    func errorsInPlace() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect()
            let replies = try await connection.pipeline([
                RESPCommand("SET", "s", "text"), RESPCommand("INCR", "s"), RESPCommand("NOSUCHCOMMAND"),
                RESPCommand("GET", "s"),
            ])
            #expect(replies.count == 4)
            #expect(replies[0] == .simpleString("OK"))
            #expect(replies[1].serverError?.code == "ERR")
            #expect(replies[2].serverError?.code == "ERR")
            #expect(replies[3].string == "text")
            await connection.close()
        }
    }

    @Test("RESP3: HELLO answers a map, and hashes come back as maps")
    func resp3() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect(protocolVersion: 3)
            let hello = try await connection.send(RESPCommand("HELLO", 3))
            guard case .map(let keys, let values) = hello else {
                Issue.record("HELLO 3 should answer a map, got \(hello)")
                return
            }
            let proto = keys.firstIndex { $0.string == "proto" }.map { values[$0] }
            #expect(proto == .integer(3))
            _ = try await connection.send(RESPCommand("HSET", "h", "f", "v"))
            #expect(
                try await connection.send(RESPCommand("HGETALL", "h"))
                    == .map([.bulkString(ByteBuffer(string: "f"))], [.bulkString(ByteBuffer(string: "v"))]))
            #expect(try await connection.send(RESPCommand("GET", "missing")) == .null)
            await connection.close()
        }
    }

    @Test("keys and values are binary-safe")
    func binarySafe() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect()
            let key: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x80]
            let value: [UInt8] = Array(0...255)
            _ = try await connection.send(RESPCommand("SET", RESPArgument(key), RESPArgument(value)))
            let reply = try await connection.send(RESPCommand("GET", RESPArgument(key)))
            #expect(reply.bytes.map { Array($0.readableBytesView) } == value)
            await connection.close()
        }
    }
}
