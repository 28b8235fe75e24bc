import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync

/// What the two-way phase runs: its lag test, its pipelined load and its steady load.
struct TwoWayLoad {
    /// Writes per second on each side while lag is measured, and for how long.
    var lagRate: Int
    var lagDuration: Duration
    /// INCRs `redis-benchmark` sends to each side at once, pipelined, as fast as it can.
    var pipelinedWrites: Int
    /// INCRs per second on each side at once in the steady load, and for how long.
    var steadyRate: Int
    var steadyDuration: Duration
}

/// Both directions' statuses at one moment.
struct TwoWaySnapshot {
    var forward: ChannelStatus.Snapshot
    var reverse: ChannelStatus.Snapshot

    init(_ forward: ChannelStatus, _ reverse: ChannelStatus) {
        self.forward = forward.snapshot
        self.reverse = reverse.snapshot
    }
}

extension Bench {
    // MARK: Two-way channel

    /// The two-way channel (``TwoWayChannel``) with both sides written at once, then native one-way replication.
    ///
    /// Keys are disjoint: the source's clients write `a:*`, the target's `b:*` (db 1). Three loads, one after
    /// the other, on one run of the channel: lag (SETs and `PUBLISH` stamps on each side, a subscriber on the
    /// other), a pipelined `INCR` load on both sides (`redis-benchmark`), and a steady `INCR` load on both sides.
    /// Around the two `INCR` loads, `INFO commandstats` of both servers counts what each write cost on the other
    /// side; after the stop, the channel's write ledger should name no key written on both members (the keys are
    /// disjoint). The native baseline is a replica (`REPLICAOF`) of the source, measured with the same lag test while
    /// its own clients write `b:*` into it (`replica-read-only no`), so each server takes the same load.
    func twoWay(_ results: Results, load: TwoWayLoad) async throws {
        try await prepareTwoWay()
        let backlog =
            try await targetControl.send(RESPCommand("CONFIG", "GET", "repl-backlog-size")).array?.last?.string
            ?? "1048576"
        // The target is a source too: it keeps a backlog as the sandbox's servers do.
        _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "repl-backlog-size", "256mb"))

        let channel = TwoWayChannel(
            source: source.endpoint, target: target.endpoint, name: "bench", options: channelOptions)
        let forward = ChannelStatus()
        let reverse = ChannelStatus()
        let stop = TwoWayChannel.Stop()
        let task = Task { try await channel.run(forward: forward, reverse: reverse, stop: stop) }
        let lag: (forward: Double, reverse: Double)
        do {
            try await waitUntil("both directions to stream") {
                try checkTwoWay(forward: forward, reverse: reverse)
                return forward.snapshot.phase == .streaming && reverse.snapshot.phase == .streaming
            }
            try await Task.sleep(for: .seconds(1))  // both sides settle after the full sync before measuring
            Memory.resetPeak()
            lag = try await twoWayLag(results, rate: load.lagRate, duration: load.lagDuration)
            let lagPeak = Memory.peakMiB()

            // What the lag test wrote is applied before the counts start.
            _ = try await catchUp(forward: forward, reverse: reverse)
            _ = try await sourceControl.send(RESPCommand("CONFIG", "RESETSTAT"))
            _ = try await targetControl.send(RESPCommand("CONFIG", "RESETSTAT"))
            let before = TwoWaySnapshot(forward, reverse)
            Memory.resetPeak()
            let pipelined = try await twoWayPipelined(
                results, writes: load.pipelinedWrites, forward: forward, reverse: reverse)
            let pipelinedPeak = Memory.peakMiB()
            Memory.resetPeak()
            let steady = try await twoWaySteady(
                results, rate: load.steadyRate, duration: load.steadyDuration, forward: forward, reverse: reverse)
            let steadyPeak = Memory.peakMiB()
            stop.request()
            try await task.value
            let after = TwoWaySnapshot(forward, reverse)
            try await twoWayCommands(
                results, sourceWrites: pipelined.source + steady.source, targetWrites: pipelined.target + steady.target,
                before: before, after: after)
            results.record("two-way: kvmove peak RSS MiB (both directions), lag test", lagPeak)
            results.record("two-way: kvmove peak RSS MiB (both directions), pipelined load", pipelinedPeak)
            results.record("two-way: kvmove peak RSS MiB (both directions), steady load", steadyPeak)
            results.record("two-way: forward spooled MiB", Double(after.forward.spooledBytesTotal) / 1_048_576)
            results.record("two-way: reverse spooled MiB", Double(after.reverse.spooledBytesTotal) / 1_048_576)
            // The keys are disjoint: the ledger should find no key written on both members.
            let ledger = channel.ledger.conflicts
            results.record("two-way: keys the ledger found written on both members", Double(ledger.count))
            results.record("two-way: ledger full, entries dropped (1 yes, 0 no)", ledger.incomplete ? 1 : 0)
            results.record("two-way: forward sessions continued (reconnects)", Double(after.forward.continues))
            results.record("two-way: reverse sessions continued (reconnects)", Double(after.reverse.continues))
            guard after.forward.fullSyncs == 1, after.reverse.fullSyncs == 0,
                after.forward.errorReplies == 0, after.reverse.errorReplies == 0
            else {
                throw BenchFailure(
                    "the two-way channel made \(after.forward.fullSyncs) forward and \(after.reverse.fullSyncs) "
                        + "reverse full syncs, \(after.forward.errorReplies) and \(after.reverse.errorReplies) "
                        + "error replies")
            }
        } catch {
            task.cancel()
            _ = await task.result
            try? await finishTwoWay(backlog: backlog)
            throw error
        }
        try await finishTwoWay(backlog: backlog)
        try await twoWayNative(results, rate: load.lagRate, duration: load.lagDuration, twoWayP99: lag)
    }

    /// Throws when either direction has failed.
    private func checkTwoWay(forward: ChannelStatus, reverse: ChannelStatus) throws {
        for (name, status) in [("forward", forward), ("reverse", reverse)] {
            let snapshot = status.snapshot
            if snapshot.phase == .failed {
                throw BenchFailure("the \(name) direction failed: \(snapshot.lastError ?? "")")
            }
        }
    }

    /// An empty target, and nothing of an earlier two-way run in the source (the reverse direction's checkpoint,
    /// the keys of db 1).
    private func prepareTwoWay() async throws {
        try await flushTarget()
        try await cleanSource()
        _ = try await sourceControl.send(
            RESPCommand("DEL", RESPArgument(ReplicaChannel.checkpointPrefix + TwoWayChannel.reverseName("bench"))))
    }

    /// Leaves the servers as the other phases expect them: the dataset alone in the source, an empty target.
    private func finishTwoWay(backlog: String) async throws {
        try await prepareTwoWay()
        _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "repl-backlog-size", RESPArgument(backlog)))
    }

    /// Lag of each direction while both sides take `rate` SETs per second (and a stamp every millisecond);
    /// returns the p99 of each.
    private func twoWayLag(_ results: Results, rate: Int, duration: Duration) async throws -> (
        forward: Double, reverse: Double
    ) {
        async let forwardSamples = lagSamples(
            from: source, to: target, keyPrefix: "a:lag:", pubSubChannel: "kvmove-lag-forward", rate: rate,
            duration: duration)
        async let reverseSamples = lagSamples(
            from: target, to: source, keyPrefix: "b:lag:", pubSubChannel: "kvmove-lag-reverse", rate: rate,
            duration: duration)
        let (forward, reverse) = try await (forwardSamples, reverseSamples)
        let expected = Int(seconds(duration) * 1000)
        guard forward.count >= expected * 99 / 100, reverse.count >= expected * 99 / 100 else {
            throw BenchFailure("stamps lost: forward \(forward.count), reverse \(reverse.count) of \(expected)")
        }
        let label = "two-way lag at \(rate) writes/s each side"
        results.record("\(label): forward p50 ms", percentile(forward, 0.5))
        results.record("\(label): forward p99 ms", percentile(forward, 0.99))
        results.record("\(label): forward max ms", forward.last ?? .nan)
        results.record("\(label): reverse p50 ms", percentile(reverse, 0.5))
        results.record("\(label): reverse p99 ms", percentile(reverse, 0.99))
        results.record("\(label): reverse max ms", reverse.last ?? .nan)
        return (percentile(forward, 0.99), percentile(reverse, 0.99))
    }

    /// The native baseline for the lag: the target a replica of the source, the source's clients writing `rate`
    /// SETs per second and the stamps, the replica's own clients writing `rate` SETs per second into it.
    private func twoWayNative(
        _ results: Results, rate: Int, duration: Duration, twoWayP99: (forward: Double, reverse: Double)
    ) async throws {
        try await startNative()
        _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "replica-read-only", "no"))
        try await Task.sleep(for: .seconds(1))
        let perTick = max(1, rate / 1000)
        async let samples = lagSamples(
            from: source, to: target, keyPrefix: "a:lag:", pubSubChannel: "kvmove-lag-native", rate: rate,
            duration: duration)
        async let replicaWrites = steadyWrites(on: target, duration: duration) { tick in
            (0..<perTick).map { RESPCommand("SET", RESPArgument("b:lag:\((tick * perTick + $0) % 10_000)"), "x") }
        }
        let (native, _) = try await (samples, replicaWrites)
        _ = try await targetControl.send(RESPCommand("CONFIG", "SET", "replica-read-only", "yes"))
        try await stopNative()
        try await cleanSource()
        let expected = Int(seconds(duration) * 1000)
        guard native.count >= expected * 99 / 100 else {
            throw BenchFailure("stamps lost: native \(native.count) of \(expected)")
        }
        let label = "two-way lag at \(rate) writes/s each side"
        let nativeP99 = percentile(native, 0.99)
        results.record("\(label): native p50 ms", percentile(native, 0.5))
        results.record("\(label): native p99 ms", nativeP99)
        results.record("\(label): native max ms", native.last ?? .nan)
        results.record("\(label): forward p99 − native p99 ms", twoWayP99.forward - nativeP99)
        results.record("\(label): reverse p99 − native p99 ms", twoWayP99.reverse - nativeP99)
    }

    /// `redis-benchmark` on both sides at once, `writes` pipelined INCRs each; returns the writes each side took.
    ///
    /// A direction's rate while both loads run is the writes it applied from the start until the first load
    /// ended, over that time; its catch-up is how long after both loads ended it took to apply the last of them.
    private func twoWayPipelined(_ results: Results, writes: Int, forward: ChannelStatus, reverse: ChannelStatus)
        async throws -> (source: Int, target: Int)
    {
        let pipeline = 1000
        let total = (writes / pipeline) * pipeline  // redis-benchmark sends whole pipelines
        let sourceLoad = try loadProcess(
            on: source, total: total, connections: 2, pipeline: pipeline, command: ["INCR", "a:incr:__rand_int__"])
        let targetLoad = try loadProcess(
            on: target, total: total, connections: 2, pipeline: pipeline, command: ["INCR", "b:incr:__rand_int__"])
        let start0 = TwoWaySnapshot(forward, reverse)
        let clock = ContinuousClock()
        let start = clock.now
        try sourceLoad.run()
        try targetLoad.run()
        var sourceEnd: ContinuousClock.Instant?
        var targetEnd: ContinuousClock.Instant?
        var firstEnd: TwoWaySnapshot?
        while sourceEnd == nil || targetEnd == nil {
            try await Task.sleep(for: .milliseconds(1))
            if sourceEnd == nil, !sourceLoad.isRunning { sourceEnd = clock.now }
            if targetEnd == nil, !targetLoad.isRunning { targetEnd = clock.now }
            if firstEnd == nil, sourceEnd != nil || targetEnd != nil { firstEnd = TwoWaySnapshot(forward, reverse) }
        }
        try check(sourceLoad)
        try check(targetLoad)
        guard let sourceEnd, let targetEnd, let firstEnd else { throw BenchFailure("the loads did not end") }
        let bothSeconds = seconds(start.duration(to: min(sourceEnd, targetEnd)))
        let catchUp = try await catchUp(forward: forward, reverse: reverse)
        let forwardWrites = firstEnd.forward.applicationWrites - start0.forward.applicationWrites
        let reverseWrites = firstEnd.reverse.applicationWrites - start0.reverse.applicationWrites
        let label = "two-way pipelined INCR load"
        results.record("\(label): source load writes/s", Double(total) / seconds(start.duration(to: sourceEnd)))
        results.record("\(label): target load writes/s", Double(total) / seconds(start.duration(to: targetEnd)))
        results.record("\(label): forward applied writes/s while both run", Double(forwardWrites) / bothSeconds)
        results.record("\(label): reverse applied writes/s while both run", Double(reverseWrites) / bothSeconds)
        results.record("\(label): forward behind at the end MiB", Double(catchUp.forwardBytes) / 1_048_576)
        results.record("\(label): reverse behind at the end MiB", Double(catchUp.reverseBytes) / 1_048_576)
        results.record("\(label): forward catch-up after the loads s", catchUp.forwardSeconds)
        results.record("\(label): reverse catch-up after the loads s", catchUp.reverseSeconds)
        let loadsEnd = max(sourceEnd, targetEnd)
        results.record(
            "\(label): forward writes/s overall (start → all applied)",
            Double(total) / (seconds(start.duration(to: loadsEnd)) + catchUp.forwardSeconds))
        results.record(
            "\(label): reverse writes/s overall (start → all applied)",
            Double(total) / (seconds(start.duration(to: loadsEnd)) + catchUp.reverseSeconds))
        return (total, total)
    }

    /// Steady INCR writers on both sides at once, `rate` a second each (a pipeline every 10 ms: one a millisecond
    /// does not reach 50,000 writes/s beside everything else on two cores); returns the writes each side took.
    private func twoWaySteady(
        _ results: Results, rate: Int, duration: Duration, forward: ChannelStatus, reverse: ChannelStatus
    ) async throws -> (source: Int, target: Int) {
        let perTick = max(1, rate / 100)
        let interval = Duration.milliseconds(10)
        let start0 = TwoWaySnapshot(forward, reverse)
        async let sourceWrites = steadyWrites(on: source, duration: duration, interval: interval) { tick in
            (0..<perTick).map { RESPCommand("INCR", RESPArgument("a:incr:s\((tick * perTick + $0) % 100_000)")) }
        }
        async let targetWrites = steadyWrites(on: target, duration: duration, interval: interval) { tick in
            (0..<perTick).map { RESPCommand("INCR", RESPArgument("b:incr:s\((tick * perTick + $0) % 100_000)")) }
        }
        let (sourceLoad, targetLoad) = try await (sourceWrites, targetWrites)
        let end = TwoWaySnapshot(forward, reverse)
        let catchUp = try await catchUp(forward: forward, reverse: reverse)
        let label = "two-way steady INCR load at \(rate) writes/s each side"
        let window = min(sourceLoad.seconds, targetLoad.seconds)
        results.record("\(label): source writes/s reached", Double(sourceLoad.commands) / sourceLoad.seconds)
        results.record("\(label): target writes/s reached", Double(targetLoad.commands) / targetLoad.seconds)
        results.record(
            "\(label): forward applied writes/s",
            Double(end.forward.applicationWrites - start0.forward.applicationWrites) / window)
        results.record(
            "\(label): reverse applied writes/s",
            Double(end.reverse.applicationWrites - start0.reverse.applicationWrites) / window)
        results.record("\(label): forward behind at the end ms", catchUp.forwardSeconds * 1000)
        results.record("\(label): reverse behind at the end ms", catchUp.reverseSeconds * 1000)
        return (sourceLoad.commands, targetLoad.commands)
    }

    /// Reads both servers' offsets now and waits until each direction has applied its server's; returns how far
    /// behind each was (bytes) and how long each took to get there.
    private func catchUp(forward: ChannelStatus, reverse: ChannelStatus) async throws -> (
        forwardBytes: Int64, reverseBytes: Int64, forwardSeconds: Double, reverseSeconds: Double
    ) {
        let clock = ContinuousClock()
        let start = clock.now
        let sourceEnd = try await sourceOffset()
        let targetEnd = Int64(try await info(targetControl, "replication")["master_repl_offset"] ?? "") ?? -1
        let forwardBytes = max(0, sourceEnd - (forward.snapshot.appliedOffset ?? 0))
        let reverseBytes = max(0, targetEnd - (reverse.snapshot.appliedOffset ?? 0))
        var forwardSeconds: Double?
        var reverseSeconds: Double?
        try await waitUntil("both directions to apply the load") {
            try checkTwoWay(forward: forward, reverse: reverse)
            if forwardSeconds == nil, (forward.snapshot.appliedOffset ?? -1) >= sourceEnd {
                forwardSeconds = seconds(start.duration(to: clock.now))
            }
            if reverseSeconds == nil, (reverse.snapshot.appliedOffset ?? -1) >= targetEnd {
                reverseSeconds = seconds(start.duration(to: clock.now))
            }
            return forwardSeconds != nil && reverseSeconds != nil
        }
        return (forwardBytes, reverseBytes, forwardSeconds ?? .nan, reverseSeconds ?? .nan)
    }

    /// `INFO commandstats` after both INCR loads: every write is applied once on the other side, plus what each
    /// batch costs (`MULTI`, `EXEC`, the checkpoint's `SET`, `SELECT`s, the `CLIENT SETNAME` beacon).
    ///
    /// The counters are summed on both servers as well: each side's keys hold exactly the writes made to them.
    private func twoWayCommands(
        _ results: Results, sourceWrites: Int, targetWrites: Int, before: TwoWaySnapshot, after: TwoWaySnapshot
    ) async throws {
        let onSource = try await commandCalls(sourceControl)
        let onTarget = try await commandCalls(targetControl)
        var wrongSums: [String] = []
        for server in [source, target] {
            for (pattern, expected) in [("a:incr:*", sourceWrites), ("b:incr:*", targetWrites)] {
                let sum = try await counterSum(server, pattern: pattern)
                if sum != expected { wrongSums.append("\(pattern) on \(server.port): \(sum), not \(expected)") }
            }
        }
        if !wrongSums.isEmpty {
            FileHandle.standardError.write(
                Data("  counters that do not add up: \(wrongSums.joined(separator: "; "))\n".utf8))
        }
        let label = "two-way commands"
        results.record("\(label): writes on the source (INCR)", Double(sourceWrites))
        results.record("\(label): writes on the target (INCR)", Double(targetWrites))
        results.record("\(label): counters that do not add up", Double(wrongSums.count))
        // Each direction: the server it writes, that server's own writes, the writes it carries, its counted
        // writes, and the blocks of its batches the other direction passed over.
        let directions = [
            (
                "forward", onTarget, targetWrites, sourceWrites,
                after.forward.applicationWrites - before.forward.applicationWrites,
                after.reverse.echoesSkipped - before.reverse.echoesSkipped
            ),
            (
                "reverse", onSource, sourceWrites, targetWrites,
                after.reverse.applicationWrites - before.reverse.applicationWrites,
                after.forward.echoesSkipped - before.forward.echoesSkipped
            ),
        ]
        for (name, receiving, receivingOwn, carried, counted, passedOver) in directions {
            let applied = (receiving["incr"] ?? 0) - receivingOwn
            let batches = receiving["exec"] ?? 0
            // The loads' own connections select db 1 once each: redis-benchmark's two and the steady writer.
            let selects = (receiving["select"] ?? 0) - 3
            let overhead = (receiving["multi"] ?? 0) + batches + (receiving["set"] ?? 0) + selects
            results.record("\(label): \(name) INCRs applied − writes to carry", Double(applied - carried))
            results.record("\(label): \(name) INCRs applied per write", Double(applied) / Double(carried))
            results.record(
                "\(label): \(name) writes counted by the channel − writes to carry",
                Double(counted - carried))
            results.record("\(label): \(name) batches (EXEC)", Double(batches))
            results.record("\(label): \(name) writes per batch", Double(carried) / Double(batches))
            results.record("\(label): \(name) MULTI", Double(receiving["multi"] ?? 0))
            results.record("\(label): \(name) SET (checkpoints)", Double(receiving["set"] ?? 0))
            results.record("\(label): \(name) SELECT (the loads' 3 left out)", Double(selects))
            results.record("\(label): \(name) CLIENT SETNAME (beacons)", Double(receiving["client|setname"] ?? 0))
            results.record(
                "\(label): \(name) MULTI+EXEC+SET+SELECT per batch", Double(overhead) / Double(batches))
            results.record(
                "\(label): \(name) those and the beacons per write",
                Double(overhead + (receiving["client|setname"] ?? 0)) / Double(carried))
            results.record(
                "\(label): \(name) blocks the other direction passed over per batch",
                Double(passedOver) / Double(batches))
        }
    }

    /// Calls per command from `INFO commandstats` (`incr`, `client|setname`, …).
    func commandCalls(_ connection: RESPConnection) async throws -> [String: Int] {
        var calls: [String: Int] = [:]
        for (field, value) in try await info(connection, "commandstats") where field.hasPrefix("cmdstat_") {
            let count = value.split(separator: ",").first { $0.hasPrefix("calls=") }?.dropFirst(6)
            calls[String(field.dropFirst(8))] = count.flatMap { Int($0) } ?? 0
        }
        return calls
    }

    /// The sum of the integer values of the keys of db 1 of `server` that match `pattern`.
    func counterSum(_ server: Server, pattern: String) async throws -> Int {
        let connection = try await RESPConnection.connect(
            .init(port: server.port, password: Secret(server.password), database: 1))
        let script =
            "local sum = 0 for _, key in ipairs(redis.call('KEYS', ARGV[1])) do "
            + "sum = sum + tonumber(redis.call('GET', key)) end return sum"
        let reply = try await connection.send(RESPCommand("EVAL", RESPArgument(script), "0", RESPArgument(pattern)))
        await connection.close()
        return Int(reply.int ?? -1)
    }
}
