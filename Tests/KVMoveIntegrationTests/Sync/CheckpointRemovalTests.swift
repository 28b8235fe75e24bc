import Foundation
import KVMoveRESP
import KVMoveLocal
import KVMoveSync
import Testing

/// Removing a channel's checkpoint key is checked, never assumed: a member that keeps it makes the caller say so.
@Suite(.enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct CheckpointRemovalTests {
    @Test("the checkpoint key is deleted and checked gone; a member that cannot delete it is an error naming the key")
    func removalIsChecked() async throws {
        try await RedisServerFixture.with { source in
            try await RedisServerFixture.with { target in
                let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "orders")
                let connection = try await target.connect()
                _ = try await connection.send(RESPCommand("SET", RESPArgument(channel.checkpointKey), "x"))
                try await channel.removeCheckpoint()
                #expect(try await connection.send(RESPCommand("EXISTS", RESPArgument(channel.checkpointKey))).int == 0)
                await connection.close()
            }
            // A member where DEL is not available (renamed away, as some hardened servers do).
            try await RedisServerFixture.with(arguments: ["--rename-command", "DEL", ""]) { target in
                let channel = ReplicaChannel(source: source.endpoint, target: target.endpoint, name: "orders")
                let connection = try await target.connect()
                _ = try await connection.send(RESPCommand("SET", RESPArgument(channel.checkpointKey), "x"))
                await connection.close()
                await #expect(throws: (any Error).self) { try await channel.removeCheckpoint() }
            }
        }
    }
}

/// A catch-up that does not finish by its deadline says so, with how far behind each direction was.
@Suite(.enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct CatchUpDeadlineTests {
    @Test("no channel runs: the catch-up fails at its deadline instead of returning as if caught up")
    func catchUpSaysItTimedOut() async throws {
        try await RedisServerFixture.with(arguments: ReplicaChannelTests.sourceArguments) { source in
            try await RedisServerFixture.with { target in
                let writes = try await source.connect()
                _ = try await writes.send(RESPCommand("SET", "in-flight", "1"))
                await writes.close()
                let channel = TwoWayChannel(source: source.endpoint, target: target.endpoint, name: "late")
                let store = SandboxStore(
                    layout: SandboxLayout(root: FileManager.default.temporaryDirectory.appendingPathComponent("none")))
                do {
                    try await LocalProvider.catchUp(
                        channel, twoWay: false, timeout: .milliseconds(300), reported: (store, "gr-late"))
                    Issue.record("the catch-up returned although nothing was carried")
                } catch {
                    #expect("\(error)".contains("did not catch up within"), "\(error)")
                }
            }
        }
    }
}
