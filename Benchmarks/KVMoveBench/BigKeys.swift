import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import NIOCore
import Synchronization

/// Latencies of a client that sends `PING` every millisecond, in milliseconds.
final class PingProbe: Sendable {
    private let latencies = Mutex<[Double]>([])

    /// Pings `server` every millisecond until the task is cancelled.
    func run(_ server: Server) async throws {
        let connection = try await RESPConnection.connect(
            .init(port: server.port, password: Secret(server.password), clientName: "bench-ping"))
        defer { Task { await connection.close() } }
        var next = ContinuousClock.now
        while !Task.isCancelled {
            let start = ContinuousClock.now
            _ = try await connection.send(RESPCommand("PING"))
            let elapsed = seconds(start.duration(to: .now)) * 1000
            latencies.withLock { $0.append(elapsed) }
            next += .milliseconds(1)
            if next > .now { try? await Task.sleep(until: next) } else { next = .now }
        }
    }

    /// The 99th percentile so far, and how many pings it is of.
    var p99: (milliseconds: Double, count: Int) {
        let sorted = latencies.withLock { $0 }.sorted()
        return (percentile(sorted, 0.99), sorted.count)
    }
}

extension Bench {
    /// The big keys of the `bigkeys` phase, loaded on both sides: name and the commands that build it.
    static func bigKeyCommands(_ key: String, hashFields: Int, members: Int, stringMiB: Int) -> [RESPCommand] {
        let name = RESPArgument(key)
        func chunks(_ count: Int) -> [Range<Int>] {
            stride(from: 0, to: count, by: 1000).map { $0..<min($0 + 1000, count) }
        }
        switch key {
        case "big:hash":
            return chunks(hashFields).map { chunk in
                RESPCommand(
                    "HSET", arguments: [name] + chunk.flatMap { [RESPArgument("f\($0)"), RESPArgument("v\($0)")] })
            }
        case "big:zset":
            return chunks(members).map { chunk in
                RESPCommand("ZADD", arguments: [name] + chunk.flatMap { [RESPArgument($0), RESPArgument("m\($0)")] })
            }
        case "big:list":
            return chunks(members).map { RESPCommand("RPUSH", arguments: [name] + $0.map { RESPArgument("e\($0)") }) }
        default:
            let mebibyte = RESPArgument([UInt8](repeating: UInt8(ascii: "s"), count: 1 << 20))
            return (0..<stringMiB).map { _ in RESPCommand("APPEND", name, mebibyte) }
        }
    }

    /// Verification beside big keys: another client's `PING` p99 idle and while kvmove verifies, kvmove's peak
    /// memory, and whether any command kvmove sent took 10 ms or more on the source (its slow log).
    ///
    /// Both sides hold the `DEBUG POPULATE` keys plus a 2,000,000-field hash, a 1,000,000-member sorted set, a
    /// 1,000,000-element list and a 256 MiB string, loaded the same way on each (not copied).
    func bigKeys(_ results: Results, hashFields: Int = 2_000_000, members: Int = 1_000_000, stringMiB: Int = 256)
        async throws
    {
        try await flushTarget()
        _ = try await targetControl.send(
            RESPCommand("DEBUG", "POPULATE", RESPArgument(keys), "key", RESPArgument(100)))
        let names = ["big:hash", "big:zset", "big:list", "big:string"]
        for server in [source, target] {
            let loader = try await server.connect()
            for key in names {
                let commands = Self.bigKeyCommands(key, hashFields: hashFields, members: members, stringMiB: stringMiB)
                for start in stride(from: 0, to: commands.count, by: 16) {
                    let replies = try await loader.pipeline(Array(commands[start..<min(start + 16, commands.count)]))
                    if let error = replies.compactMap(\.serverError).first { throw BenchFailure("loading: \(error)") }
                }
            }
            await loader.close()
        }
        _ = try await sourceControl.pipeline([
            RESPCommand("CONFIG", "SET", "slowlog-log-slower-than", 10000), RESPCommand("SLOWLOG", "RESET"),
        ])
        // The idle baseline: the probe alone for 5 s.
        let idle = PingProbe()
        let idleTask = Task { try await idle.run(source) }
        try await Task.sleep(for: .seconds(5))
        idleTask.cancel()
        _ = await idleTask.result
        let busy = PingProbe()
        let busyTask = Task { try await busy.run(source) }
        let (report, elapsed, peak) = try await measure {
            try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
        }
        busyTask.cancel()
        _ = await busyTask.result
        guard report.passed else { throw BenchFailure("verification failed: \(report.summary)") }
        let slow = try await sourceControl.send(RESPCommand("SLOWLOG", "GET", 1000)).array ?? []
        let kvmoveSlow = slow.filter { entry in
            guard let fields = entry.array, fields.count >= 6, let name = fields[5].string else { return false }
            return ClientRole.isKVMove(clientName: name)
        }
        results.record("bigkeys PING p99 idle ms", idle.p99.milliseconds)
        results.record("bigkeys PING p99 while verifying ms", busy.p99.milliseconds)
        results.record("bigkeys PING p99 rise ms", busy.p99.milliseconds - idle.p99.milliseconds)
        results.record("bigkeys PINGs while verifying", Double(busy.p99.count))
        results.record("bigkeys verify seconds", elapsed)
        results.record("bigkeys verify keys/s", Double(report.keysChecked) / elapsed)
        results.record("bigkeys verify peak RSS MiB", peak)
        results.record("bigkeys kvmove commands ≥ 10 ms on the source", Double(kvmoveSlow.count))
        for server in [sourceControl, targetControl] {
            _ = try await server.send(RESPCommand("UNLINK", arguments: names.map { RESPArgument($0) }))
        }
        try await flushTarget()
    }
}
