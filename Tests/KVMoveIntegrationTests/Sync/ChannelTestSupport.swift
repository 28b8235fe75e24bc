import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// What a source needs for the channel: no delay before a diskless sync, and a backlog to continue from.
let channelSourceArguments = ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"]

/// Writes `SET w:<n> <n>` and `INCR counter` in pipelines until stopped, and records every `n` whose `SET`
/// the source acknowledged; survives the source going away (it reconnects and goes on).
final class AcknowledgedWriter: Sendable {
    /// Every `n` whose `SET w:<n>` the source answered with `OK`.
    let acknowledged = Mutex<[Int]>([])
    /// Pipelines that failed because the connection broke (the source restarting).
    let failedPipelines = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    private let port: Mutex<RedisServerFixture>
    /// The keys are `<prefix>:<n>`, the counter `counter` (the defaults: `w:<n>` and `counter`).
    let prefix: String
    let counter: String
    /// Pause between pipelines.
    let pause: Duration

    init(
        _ source: RedisServerFixture, prefix: String = "w", counter: String = "counter",
        pause: Duration = .milliseconds(2)
    ) {
        port = Mutex(source)
        self.prefix = prefix
        self.counter = counter
        self.pause = pause
    }

    /// Points the writer at the source after it was started again.
    func retarget(_ source: RedisServerFixture) {
        port.withLock { $0 = source }
    }

    /// Writes until ``stop`` is set.
    func run() async throws {
        var connection: RESPConnection?
        var next = 0
        while !stop.load(ordering: .relaxed) {
            if connection == nil {
                let server = port.withLock { $0 }
                connection = try? await server.connect(clientName: "writer")
                if connection == nil {
                    try await Task.sleep(for: .milliseconds(20))
                    continue
                }
            }
            guard let current = connection else { continue }
            var commands: [RESPCommand] = []
            for n in next..<(next + 20) {
                commands.append(RESPCommand("SET", RESPArgument("\(prefix):\(n)"), RESPArgument(n)))
                commands.append(RESPCommand("INCR", RESPArgument(counter)))
            }
            do {
                let replies = try await current.pipeline(commands)
                let done = (next..<(next + 20)).filter { replies[2 * ($0 - next)] == .simpleString("OK") }
                acknowledged.withLock { $0 += done }
            } catch {
                // Nothing of this pipeline is counted: what the source applied but never answered may or may
                // not be there; the checks compare the target with the source for those.
                failedPipelines.add(1, ordering: .relaxed)
                await current.close()
                connection = nil
            }
            next += 20
            try await Task.sleep(for: pause)
        }
        await connection?.close()
    }
}

/// The source's `master_replid`, `master_repl_offset` and `master_replid2` (the history it continues).
func replicationState(_ source: RedisServerFixture) async throws -> (id: String, offset: Int64, previousID: String) {
    let control = try await source.connect()
    let info = try await control.send(RESPCommand("INFO", "replication")).string ?? ""
    await control.close()
    let fields = RedisInfo.fields(info)
    return (
        fields["master_replid"] ?? "", Int64(fields["master_repl_offset"] ?? "") ?? 0, fields["master_replid2"] ?? ""
    )
}

/// Waits until the channel is streaming and has applied everything the source has written so far.
///
/// The source's replication id is read on every poll: a source without a backlog takes a new one when the
/// first replica connects.
func waitCaughtUp(_ source: RedisServerFixture, _ status: ChannelStatus, timeout: Duration = .seconds(30))
    async throws
{
    let (_, offset, _) = try await replicationState(source)
    try await waitUntil("the channel applies up to offset \(offset)", timeout: timeout) {
        let snapshot = status.snapshot
        guard snapshot.phase == .streaming, (snapshot.appliedOffset ?? -1) >= offset else { return false }
        return snapshot.replicationId == (try await replicationState(source)).id
    }
}

/// Every write the source acknowledged is on the target, the counter and key count equal the source's, and
/// nothing was applied twice (an `INCR` repeated would put the target's counter above the source's).
func expectAllArrived(
    _ writer: AcknowledgedWriter,
    source: RedisServerFixture,
    target: RedisServerFixture,
    minimumWrites: Int = 100
) async throws {
    let written = writer.acknowledged.withLock { $0 }
    #expect(written.count >= minimumWrites, "only \(written.count) writes were acknowledged")
    let connection = try await target.connect()
    var missing: [Int] = []
    for chunk in stride(from: 0, to: written.count, by: 1000) {
        let slice = Array(written[chunk..<min(written.count, chunk + 1000)])
        let replies = try await connection.pipeline(slice.map { RESPCommand("GET", RESPArgument("w:\($0)")) })
        for (n, reply) in zip(slice, replies) where reply.int != Int64(n) { missing.append(n) }
    }
    #expect(
        missing.isEmpty,
        "\(missing.count) of \(written.count) acknowledged writes are missing on the target, first \(missing.prefix(5))"
    )
    let onSource = try await source.connect()
    let sourceCounter = try await onSource.send(RESPCommand("GET", "counter")).int ?? 0
    let sourceKeys = try await onSource.send(RESPCommand("DBSIZE")).int ?? 0
    await onSource.close()
    let targetCounter = try await connection.send(RESPCommand("GET", "counter")).int ?? 0
    // db 0 of the target also holds the channel's checkpoint key.
    let targetKeys = (try await connection.send(RESPCommand("DBSIZE")).int ?? 0) - 1
    await connection.close()
    #expect(sourceCounter >= Int64(written.count))
    #expect(targetCounter == sourceCounter, "counter: target \(targetCounter), source \(sourceCounter)")
    #expect(
        targetKeys == sourceKeys, "keys in db 0: target \(targetKeys) (without the checkpoint), source \(sourceKeys)")
}
