import Foundation
import NIOCore
import Testing

@testable import KVMoveRESP

#if canImport(Glibc)
    import Glibc
#endif

/// The command timeout against a real server frozen with SIGSTOP (it keeps its socket open and answers nothing).
@Suite(
    "RESP command timeout", .timeLimit(.minutes(1)),
    .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct RESPTimeoutTests {
    @Test("a stalled server: the command fails within its timeout, names server and command, and closes the connection")
    func stalledServer() async throws {
        try await RedisServerFixture.with { server in
            var configuration = server.configuration()
            configuration.commandTimeout = .seconds(1)
            let connection = try await RESPConnection.connect(configuration)
            let other = Task { () -> (any Error)? in
                // A second caller waiting behind the first fails with it.
                try? await Task.sleep(for: .milliseconds(100))
                do {
                    _ = try await connection.send(RESPCommand("GET", "other"))
                    return nil
                } catch {
                    return error
                }
            }
            let started = ContinuousClock.now
            let failure: (any Error)? = try await server.whilePaused {
                do {
                    _ = try await connection.send(RESPCommand("SET", "secret-key", "secret-value"))
                    return nil
                } catch {
                    return error
                }
            }
            let elapsed = ContinuousClock.now - started
            guard case .commandTimedOut(let address, let command, let after) = failure as? RESPError else {
                Issue.record("expected a command timeout, got \(String(describing: failure))")
                return
            }
            #expect(address == "127.0.0.1:\(server.port)" && command == "SET" && after == .seconds(1))
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(4), "failed after \(elapsed)")
            let text = "\(failure!)"
            #expect(text.contains("127.0.0.1:\(server.port) did not answer SET within 1s"))
            #expect(!text.contains("secret"), "arguments never appear: \(text)")
            if case .commandTimedOut = await other.value as? RESPError {
            } else {
                Issue.record("the call queued behind it fails with the timeout too")
            }
            try await waitUntil("the connection is closed") { !connection.isOpen }
            // The server answers again once resumed, on a new connection.
            let fresh = try await server.connect()
            #expect(try await fresh.send(RESPCommand("PING")) == .simpleString("PONG"))
            await fresh.close()
        }
    }

    @Test("every connection has TCP keepalive on, with the probe timing set")
    func keepalive() async throws {
        try await RedisServerFixture.with { server in
            let connection = try await server.connect()
            let channel = connection.channel
            #expect(try await channel.getOption(.socketOption(.so_keepalive)).get() != 0)
            #if canImport(Glibc)
                func option(_ name: Int32) async throws -> Int {
                    try await channel.getOption(
                        ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
                    ).get()
                }
                #expect(try await option(TCP_KEEPIDLE) == 30)
                #expect(try await option(TCP_KEEPINTVL) == 10)
                #expect(try await option(TCP_KEEPCNT) == 3)
            #endif
            var off = server.configuration()
            off.keepalive = nil
            let plain = try await RESPConnection.connect(off)
            #expect(try await plain.channel.getOption(.socketOption(.so_keepalive)).get() == 0)
            await plain.close()
            await connection.close()
        }
    }

    @Test("a blocking command that waits longer than the plain timeout, within its block time, is not cut")
    func blockingCommand() async throws {
        try await RedisServerFixture.with { server in
            var configuration = server.configuration()
            configuration.commandTimeout = .seconds(1)
            let connection = try await RESPConnection.connect(configuration)
            let started = ContinuousClock.now
            let empty = try await connection.send(RESPCommand("BLPOP", "nothing-here", "2.5"))
            let elapsed = ContinuousClock.now - started
            #expect(empty.isNull, "BLPOP timed out on the server: \(empty)")
            #expect(elapsed >= .seconds(2), "BLPOP waited its block time (\(elapsed))")
            // Answered by a push before its block time ends, and the connection is still fine.
            let pusher = try await server.connect()
            async let popped = connection.send(RESPCommand("BLPOP", "queue", "5"))
            try await Task.sleep(for: .milliseconds(1500))
            _ = try await pusher.send(RESPCommand("RPUSH", "queue", "job"))
            #expect(try await popped.array?.last?.string == "job")
            #expect(try await connection.send(RESPCommand("PING")) == .simpleString("PONG"))
            #expect(connection.isOpen)
            await pusher.close()
            await connection.close()
        }
    }
}
