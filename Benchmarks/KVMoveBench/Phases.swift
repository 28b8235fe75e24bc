import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import NIOCore
import Synchronization

/// A benchmark run that cannot go on.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

/// Results of several runs, metric by metric, in the order they were first recorded.
final class Results {
    private(set) var names: [String] = []
    private(set) var values: [String: [Double]] = [:]

    /// Records one run's value of a metric.
    func record(_ name: String, _ value: Double) {
        if values[name] == nil { names.append(name) }
        values[name, default: []].append(value)
        FileHandle.standardError.write(Data("  \(name): \(format(value))\n".utf8))
    }
}

/// A number as the report prints it: integers with thousands separators, small values with decimals.
func format(_ value: Double) -> String {
    guard value.isFinite else { return "—" }
    if abs(value) >= 1000 {
        let digits = String(Int(value.rounded()))
        var grouped = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0, character != "-" { grouped.append(",") }
            grouped.append(character)
        }
        return String(grouped.reversed())
    }
    return String(format: abs(value) >= 10 ? "%.1f" : "%.2f", value)
}

/// The servers of a benchmark and what each phase does with them.
struct Bench {
    let source: Server
    let target: Server
    let sourceControl: RESPConnection
    let targetControl: RESPConnection
    let keys: Int
    let channelOptions: ReplicaChannel.Options

    /// The source's replication offset now.
    func sourceOffset() async throws -> Int64 {
        Int64(try await info(sourceControl, "replication")["master_repl_offset"] ?? "") ?? -1
    }

    /// Empties db 1 of the source, where the streaming and lag phases write, so every run starts from the dataset.
    func cleanSource() async throws {
        let connection = try await RESPConnection.connect(
            .init(port: source.port, password: Secret(source.password), database: 1))
        _ = try await connection.send(RESPCommand("FLUSHDB"))
        await connection.close()
    }

    func flushTarget() async throws {
        _ = try await targetControl.send(RESPCommand("FLUSHALL"))
    }

    func targetKeys() async throws -> Int {
        Int(try await targetControl.send(RESPCommand("DBSIZE")).int ?? -1)
    }

    /// Waits, polling every `interval`, until `condition` holds.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(600), interval: Duration = .milliseconds(1),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw BenchFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: interval)
        }
    }

    // MARK: RESTORE only

    /// The dataset copied with `RESTORE` alone (`ScanCopier`): the path for a target that cannot be a replica.
    func restore(_ results: Results) async throws {
        try await flushTarget()
        let (report, elapsed, peak) = try await measure {
            try await ScanCopier(source: source.endpoint, target: target.endpoint).run { _ in }
        }
        let copied = try await targetKeys()
        guard copied == keys else { throw BenchFailure("the RESTORE copy left \(copied) of \(keys) keys") }
        results.record("RESTORE only (scan copier) keys/s", Double(report.keys) / elapsed)
        results.record("RESTORE only peak RSS MiB", peak)
    }

    /// The target's own ceiling for `RESTORE`: the payload of one source key restored under `keys` names,
    /// 1000 a pipeline, four pipelines at once, with nothing else running (no source, no parsing).
    func restoreCeiling(_ results: Results) async throws {
        try await flushTarget()
        let reply = try await sourceControl.send(RESPCommand("SCAN", "0", "COUNT", "1"))
        guard let key = reply.array?.last?.array?.first?.bytes,
            let payload = try await sourceControl.send(RESPCommand("DUMP", RESPArgument(key))).bytes
        else { throw BenchFailure("no key to DUMP on the source") }
        let batches = (0..<(keys / 1000)).map { batch in
            (0..<1000).map { index in
                RestoreWriter.Key(
                    key: ByteBuffer(string: "c:\(batch * 1000 + index)"), expireAtMilliseconds: nil, payload: payload)
            }
        }
        let writer = try await target.connect()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for index in stride(from: lane, to: batches.count, by: 4) {
                        let errors = try await RestoreWriter(connection: writer).restore(batches[index])
                        if let error = errors.compactMap({ $0 }).first {
                            throw BenchFailure("RESTORE failed: \(error)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(start.duration(to: .now))
        await writer.close()
        results.record(
            "RESTORE ceiling of the target (prepared payloads) keys/s", Double(batches.count * 1000) / elapsed)
    }

    // MARK: Full sync

    /// Starts the channel on an empty target and returns once it streams (its full sync applied).
    func startChannel(_ status: ChannelStatus, options: ReplicaChannel.Options? = nil) async throws -> Task<
        Void, any Error
    > {
        let channel = ReplicaChannel(
            source: source.endpoint, target: target.endpoint, name: "bench", options: options ?? channelOptions)
        let task = Task { try await channel.run(status: status) }
        try await waitUntil("the channel's full sync") {
            let snapshot = status.snapshot
            if snapshot.phase == .failed { throw BenchFailure("the channel failed: \(snapshot.lastError ?? "")") }
            return snapshot.phase == .streaming
        }
        return task
    }

    func stop(_ task: Task<Void, any Error>) async {
        task.cancel()
        _ = await task.result
    }

    /// Makes the target a native replica of the source and returns once its sync is done.
    func startNative() async throws {
        try await flushTarget()
        _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "masterauth", RESPArgument(source.password)))
        _ = try await targetControl.send(RESPCommand("REPLICAOF", "127.0.0.1", RESPArgument(source.port)))
        try await waitUntil("the native replica's sync") {
            let replication = try await info(targetControl, "replication")
            return replication["master_link_status"] == "up" && replication["master_sync_in_progress"] == "0"
        }
    }

    func stopNative() async throws {
        _ = try await targetControl.send(RESPCommand("REPLICAOF", "NO", "ONE"))
        try await flushTarget()
    }

    /// The channel's full sync of the dataset into an empty target; returns the seconds it took and kvmove's peak RSS.
    func channelFullSync(options: ReplicaChannel.Options) async throws -> (seconds: Double, peak: Double) {
        try await flushTarget()  // outside the clock
        let status = ChannelStatus()
        Memory.resetPeak()
        let start = ContinuousClock.now
        let task = try await startChannel(status, options: options)
        let channelSeconds = seconds(start.duration(to: .now))
        let peak = Memory.peakMiB()
        await stop(task)
        let copied = try await targetKeys()
        guard copied == keys + 1, status.snapshot.fullSyncKeys == keys else {
            throw BenchFailure("the channel's full sync left \(copied) keys (\(keys) and the checkpoint expected)")
        }
        let method = status.snapshot.fullSyncMethod
        guard method == (options.relayHost == nil ? .restore : .relay) else {
            throw BenchFailure("the channel's full sync went through \(method?.rawValue ?? "nothing")")
        }
        return (channelSeconds, peak)
    }

    /// The full sync of the dataset through kvmove's channel (relayed, then through `RESTORE`) and through
    /// `REPLICAOF`, one after the other.
    func fullSync(_ results: Results) async throws {
        var relayed = channelOptions
        relayed.relayHost = relayed.relayHost ?? "127.0.0.1"
        var restored = channelOptions
        restored.relayHost = nil
        let relay = try await channelFullSync(options: relayed)
        let restore = try await channelFullSync(options: restored)

        try await flushTarget()  // outside the clock: the kvmove runs started from an empty target too
        let nativeStart = ContinuousClock.now
        try await startNative()
        let nativeSeconds = seconds(nativeStart.duration(to: .now))
        let replicated = try await targetKeys()
        try await stopNative()
        guard replicated == keys else { throw BenchFailure("the native sync left \(replicated) keys") }

        let relayRate = Double(keys) / relay.seconds
        let restoreRate = Double(keys) / restore.seconds
        let nativeRate = Double(keys) / nativeSeconds
        results.record("full sync: kvmove channel (relayed) keys/s", relayRate)
        results.record("full sync: native REPLICAOF keys/s", nativeRate)
        results.record("full sync: kvmove (relayed) / native", relayRate / nativeRate)
        results.record("full sync: kvmove channel through RESTORE keys/s", restoreRate)
        results.record("full sync: kvmove through RESTORE / native", restoreRate / nativeRate)
        results.record("full sync: kvmove peak RSS MiB (relayed)", relay.peak)
        results.record("full sync: kvmove peak RSS MiB (RESTORE)", restore.peak)
    }

    // MARK: Streaming throughput

    /// Writes `total` SETs of 32-byte values to db 1 of the source with `redis-benchmark` (its own process, so kvmove's
    /// memory is measured alone): `connections` connections, pipelines of `pipeline`, keys drawn from 100,000.
    func load(total: Int, connections: Int = 2, pipeline: Int = 1000) async throws -> Double {
        let process = try loadProcess(
            on: source, total: total, connections: connections, pipeline: pipeline, command: ["-t", "set", "-d", "32"])
        let start = ContinuousClock.now
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(1)) }
        try check(process)
        return seconds(start.duration(to: .now))
    }

    /// A `redis-benchmark` process, not started, that sends `total` commands to db 1 of `server`: `command` is
    /// either its own test (`-t set -d 32`) or a command line of its own, in which `__rand_int__` stands for a key
    /// number drawn from 100,000.
    func loadProcess(on server: Server, total: Int, connections: Int, pipeline: Int, command: [String]) throws
        -> Process
    {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: Server.redisServerPath().replacingOccurrences(
                of: "redis-server", with: "redis-benchmark"))
        process.arguments =
            [
                "-h", "127.0.0.1", "-p", "\(server.port)", "-a", server.password, "-n", "\(total)",
                "-P", "\(pipeline)", "-c", "\(connections)", "-r", "100000", "--dbnum", "1", "-q",
            ] + command
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return process
    }

    /// Throws when a `redis-benchmark` process did not succeed.
    func check(_ process: Process) throws {
        guard process.terminationStatus == 0 else {
            throw BenchFailure("redis-benchmark exited with \(process.terminationStatus)")
        }
    }

    /// Applied writes per second under a pipelined load: kvmove's channel, then a native replica.
    func stream(_ results: Results, writes: Int) async throws {
        try await flushTarget()
        let status = ChannelStatus()
        let task = try await startChannel(status)
        let applied0 = status.snapshot.commandsApplied
        Memory.resetPeak()
        let start = ContinuousClock.now
        let loadSeconds = try await load(total: writes)
        let end = try await sourceOffset()
        try await waitUntil("the channel to apply the load") { (status.snapshot.appliedOffset ?? -1) >= end }
        let kvmoveSeconds = seconds(start.duration(to: .now))
        let peak = Memory.peakMiB()
        let applied = status.snapshot.commandsApplied - applied0
        let fullSyncs = status.snapshot.fullSyncs
        await stop(task)
        guard fullSyncs == 1 else { throw BenchFailure("the channel synced \(fullSyncs) times under load") }
        guard applied >= writes else { throw BenchFailure("the channel applied \(applied) of \(writes) writes") }

        try await startNative()
        let nativeStart = ContinuousClock.now
        let nativeLoadSeconds = try await load(total: writes)
        let nativeEnd = try await sourceOffset()
        try await waitUntil("the native replica to apply the load", interval: .milliseconds(2)) {
            Int64(try await info(targetControl, "replication")["slave_repl_offset"] ?? "") ?? -1 >= nativeEnd
        }
        let nativeSeconds = seconds(nativeStart.duration(to: .now))
        try await stopNative()

        let kvmoveRate = Double(writes) / kvmoveSeconds
        let nativeRate = Double(writes) / nativeSeconds
        results.record("streaming: source load writes/s (kvmove run)", Double(writes) / loadSeconds)
        results.record("streaming: kvmove applied writes/s", kvmoveRate)
        results.record("streaming: source load writes/s (native run)", Double(writes) / nativeLoadSeconds)
        results.record("streaming: native replica applied writes/s", nativeRate)
        results.record("streaming: kvmove / native", kvmoveRate / nativeRate)
        results.record("streaming: kvmove peak RSS MiB", peak)
        results.record("streaming: kvmove spooled MiB", Double(status.snapshot.spooledBytesTotal) / 1_048_576)
    }

    // MARK: Lag

    /// Replication lag at a steady write rate, as a subscriber on the target sees stamps published on the source.
    ///
    /// Every millisecond the writer sends `rate / 1000` SETs (to db 1) and one `PUBLISH kvmove-lag <now>`; both kvmove and
    /// a native replica carry the `PUBLISH` to the target's subscribers, which note when each stamp arrives.
    func lagSamples(rate: Int, duration: Duration) async throws -> [Double] {
        try await lagSamples(
            from: source, to: target, keyPrefix: "l:", pubSubChannel: "kvmove-lag", rate: rate, duration: duration)
    }

    /// Lag from `writer` to `reader`: every millisecond `rate / 1000` SETs of `keyPrefix` keys (to db 1) on `writer`
    /// and one `PUBLISH <pubSubChannel> <now>`; a subscriber on `reader` notes when each stamp arrives.
    func lagSamples(
        from writer: Server, to reader: Server, keyPrefix: String, pubSubChannel: String, rate: Int, duration: Duration
    ) async throws -> [Double] {
        let probe = LagProbe()
        let configuration = RESPConnection.Configuration(port: reader.port, password: Secret(reader.password))
        let perTick = max(1, rate / 1000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await RESPStreamConnection.with(configuration) { stream in
                    try await stream.write([
                        RESPCommand("AUTH", RESPArgument(reader.password)),
                        RESPCommand("SUBSCRIBE", RESPArgument(pubSubChannel)),
                    ])
                    var reader = PubSubReader()
                    for try await chunk in stream.inbound {
                        let now = monotonicNanoseconds()
                        reader.append(chunk)
                        while let message = reader.next() {
                            if message == "subscribe" {
                                probe.subscribed.store(true, ordering: .releasing)
                            } else if let stamp = UInt64(message) {
                                probe.samples.withLock { $0.append(Double(now &- stamp) / 1e6) }
                            }
                        }
                    }
                }
            }
            try await waitUntil("the subscriber") { probe.subscribed.load(ordering: .acquiring) }
            _ = try await steadyWrites(on: writer, duration: duration) { tick in
                var commands: [RESPCommand] = []
                for index in 0..<perTick {
                    commands.append(
                        RESPCommand("SET", RESPArgument("\(keyPrefix)\((tick * perTick + index) % 10_000)"), "x"))
                }
                commands.append(
                    RESPCommand("PUBLISH", RESPArgument(pubSubChannel), RESPArgument(String(monotonicNanoseconds()))))
                return commands
            }
            try await Task.sleep(for: .milliseconds(500))
            group.cancelAll()
        }
        return probe.samples.withLock { $0 }.sorted()
    }

    /// Sends `commands(tick)` to db 1 of `server` as one pipeline every `interval` for `duration` (catching up
    /// on ticks it is late for); returns how many commands went out and the seconds it took.
    func steadyWrites(
        on server: Server, duration: Duration, interval: Duration = .milliseconds(1),
        _ commands: (Int) -> [RESPCommand]
    ) async throws -> (commands: Int, seconds: Double) {
        let writer = try await RESPConnection.connect(
            .init(port: server.port, password: Secret(server.password), database: 1))
        let clock = ContinuousClock()
        let start = clock.now
        let ticks = Int((seconds(duration) / seconds(interval)).rounded())
        var sent = 0
        for tick in 0..<ticks {
            try await clock.sleep(until: start + interval * tick)
            let batch = commands(tick)
            let replies = try await writer.pipeline(batch)
            if let error = replies.compactMap(\.serverError).first {
                await writer.close()
                throw BenchFailure("a steady write failed on \(server.port): \(error)")
            }
            sent += batch.count
        }
        let elapsed = seconds(start.duration(to: .now))
        await writer.close()
        return (sent, elapsed)
    }

    /// Lag p50/p99/max at a steady write rate: kvmove's channel, then a native replica, measured the same way.
    func lag(_ results: Results, rate: Int, duration: Duration) async throws {
        try await flushTarget()
        let status = ChannelStatus()
        let task = try await startChannel(status)
        try await Task.sleep(for: .seconds(1))  // both sides settle after their full sync before measuring
        Memory.resetPeak()
        let kvmove = try await lagSamples(rate: rate, duration: duration)
        let peak = Memory.peakMiB()
        await stop(task)

        try await startNative()
        try await Task.sleep(for: .seconds(1))
        let native = try await lagSamples(rate: rate, duration: duration)
        try await stopNative()

        let expected = Int(seconds(duration) * 1000)
        guard kvmove.count >= expected * 99 / 100, native.count >= expected * 99 / 100 else {
            throw BenchFailure("stamps lost: kvmove \(kvmove.count), native \(native.count) of \(expected)")
        }
        results.record("lag at \(rate) writes/s: kvmove p50 ms", percentile(kvmove, 0.5))
        results.record("lag at \(rate) writes/s: kvmove p99 ms", percentile(kvmove, 0.99))
        results.record("lag at \(rate) writes/s: kvmove max ms", kvmove.last ?? .nan)
        results.record("lag at \(rate) writes/s: native p50 ms", percentile(native, 0.5))
        results.record("lag at \(rate) writes/s: native p99 ms", percentile(native, 0.99))
        results.record("lag at \(rate) writes/s: native max ms", native.last ?? .nan)
        results.record(
            "lag at \(rate) writes/s: kvmove p99 − native p99 ms", percentile(kvmove, 0.99) - percentile(native, 0.99))
        results.record("lag: kvmove peak RSS MiB", peak)
    }
}

/// What the lag subscriber saw: lag samples in milliseconds, and whether it is subscribed.
final class LagProbe: Sendable {
    let samples = Mutex<[Double]>([])
    let subscribed = Atomic<Bool>(false)
}

/// Reads Pub/Sub pushes (RESP2) from raw bytes: for each array, its second-last or last bulk string.
///
/// ``next()`` returns `subscribe` for a subscription's confirmation and the payload of each message.
struct PubSubReader {
    private var bytes: [UInt8] = []
    private var start = 0

    mutating func append(_ chunk: ByteBuffer) {
        if start > 1 << 16 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: chunk.readableBytesView)
    }

    /// The integer after a type byte at `index`, and the index after its CRLF; nil when incomplete.
    private func header(_ index: Int) -> (Int, Int)? {
        var cursor = index + 1
        var value = 0
        var negative = false
        while cursor + 1 < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\r") { return (negative ? -value : value, cursor + 2) }
            if byte == UInt8(ascii: "-") { negative = true } else { value = value * 10 + Int(byte &- 48) }
            cursor += 1
        }
        return nil
    }

    mutating func next() -> String? {
        while start < bytes.count {
            guard bytes[start] == UInt8(ascii: "*") else {
                // +OK from AUTH, or anything else that is not a push: skip its line.
                guard let (_, end) = header(start) else { return nil }
                start = end
                continue
            }
            guard let (count, afterHeader) = header(start) else { return nil }
            var cursor = afterHeader
            var elements: [String] = []
            for _ in 0..<max(0, count) {
                guard cursor < bytes.count, let (length, afterLength) = header(cursor) else { return nil }
                if bytes[cursor] == UInt8(ascii: "$") {
                    guard afterLength + length + 2 <= bytes.count else { return nil }
                    elements.append(String(decoding: bytes[afterLength..<(afterLength + length)], as: UTF8.self))
                    cursor = afterLength + length + 2
                } else {
                    elements.append(String(length))
                    cursor = afterLength
                }
            }
            start = cursor
            if elements.first == "subscribe" { return "subscribe" }
            if elements.first == "message", let payload = elements.last { return payload }
        }
        return nil
    }
}
