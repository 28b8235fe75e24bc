import KVMoveRESP
import Testing

@Suite(
    "Closing a RESP connection reaches the server",
    .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct RESPCloseTests {
    /// NIO's sockets are inherited by processes spawned while they are open; the fixture's servers must close
    /// them, or a connection closed here stays open on its server for as long as the later server runs.
    @Test("a connection closed while a later server runs leaves its server at once")
    func closeWhileAnotherServerRuns() async throws {
        try await RedisServerFixture.with { server in
            let leaving = try await server.connect(clientName: "kvmove-leaving")
            let observer = try await server.connect(clientName: "kvmove-observer")
            try await RedisServerFixture.with { _ in
                await leaving.close()
                try await waitUntil("the server sees the closed connection go") {
                    let list = try await observer.send(RESPCommand("CLIENT", "LIST")).string ?? ""
                    return !list.contains("name=kvmove-leaving")
                }
            }
            await observer.close()
        }
    }
}
