import KVMoveRESP
import NIOCore
import Synchronization

/// Compares a source and a target key by key: type, value fingerprint and TTL, both ways; and their functions.
///
/// For each database: `SCAN` the source and, per batch, pipeline `TYPE`, `PTTL` and `MEMORY USAGE` (default
/// sampling) of every key on both sides at once. At the same time, `SCAN` the target and look for keys the
/// source does not have (one `EXISTS` per key, pipelined). Every command names one key, so the verification
/// runs through a cluster's proxy; no script is sent.
///
/// A small key (below ``Options/bigKeyBytes`` on both sides) is fingerprinted: `DEBUG DIGEST-VALUE` when both
/// servers allow it (encoding-independent: a listpack and a hashtable with the same content digest alike),
/// else `DUMP`. A `DUMP` payload differs when the same content is stored in another encoding or hash-table
/// order, so when payloads of keys of the same type differ, the logical content of that key is fetched and
/// compared before reporting it. A big key is never fingerprinted or read whole: it is compared in bounded
/// pages (``compareBigKey(_:type:sourceConnection:targetConnection:)``), so no command holds the source for
/// long. Reads on the source are paced at ``Options/maxReadsPerSecond``. Keys that vanish, or expire within
/// the TTL tolerance, while verification runs are not reported.
///
/// When more than half of the first ``Options/earlyStopSample`` keys or more differ, the verification stops
/// early and says the sync looks broken. Differing keys are kept for re-checks up to
/// ``Options/maximumKeptKeys`` (as copies), and listed up to ``maximumReportedMismatches``; all are counted.
///
/// While both members take writes (a two-way channel), a key can differ only because a write is in flight:
/// keys that differ in the full pass are compared again in later rounds, after the channel has caught up,
/// and only those that still differ are reported (``Options/recheckRounds``).
///
/// Redis functions are compared once per verification: `FUNCTION LIST WITHCODE` on each side, libraries by
/// name, then engine and code (``FunctionComparison``). A library that differs fails the verification; a
/// side where `FUNCTION` is unavailable (Redis before 7, or not allowed) is named in the report instead.
package struct Verifier: Sendable {
    /// Tuning for a verification.
    package struct Options: Sendable {
        /// Keys per `SCAN COUNT` and per pipeline batch.
        package var batchSize: Int
        /// Largest accepted difference between the remaining TTLs of the two sides.
        package var ttlToleranceMilliseconds: Int
        /// Whether to fingerprint values with `DEBUG DIGEST-VALUE` rather than `DUMP` payloads.
        ///
        /// nil picks the fastest mode both servers allow: where scripts run, `DUMP` payloads (one `EVAL` per
        /// batch and side), with payloads that differ re-checked by digest when `DEBUG DIGEST-VALUE` is allowed;
        /// else digests when they are allowed; else `DUMP` per key. true always uses digests (the verification
        /// fails where `DEBUG` is not allowed); false never uses them, not even to re-check payloads.
        package var useDigest: Bool?
        /// What the connections are named after (`CLIENT SETNAME kvmove-<role>`).
        package var role: ClientRole
        /// How many more rounds compare again the keys that differed, after the full pass.
        ///
        /// While both sides take writes, a key written a moment ago differs until the channel has carried it
        /// over: only keys that still differ after the last round are reported. 0 keeps one pass.
        package var recheckRounds: Int
        /// The wait before each round of re-checks when `run` is given no catch-up hook.
        package var recheckDelay: Duration
        /// A key whose `MEMORY USAGE` (default sampling) is above this many bytes on either side is big.
        ///
        /// A big key is never fingerprinted or read whole: it is compared in pages (``Verifier/compareBigKey``).
        package var bigKeyBytes: Int
        /// Where `MEMORY USAGE` is refused, a key of more elements than this (a string: more bytes than
        /// ``bigKeyBytes``) is big.
        package var bigKeyElements: Int
        /// Elements per page of a big key (`HSCAN … COUNT`, `LRANGE` window, `XRANGE … COUNT`, `HMGET` batch).
        package var bigKeyPageElements: Int
        /// Bytes per `GETRANGE` window of a big string.
        package var bigKeyPageBytes: Int
        /// Reads on the source per second at most (a small key is one read, a page of a big key one); nil: no limit.
        package var maxReadsPerSecond: Int?
        /// At most this many differing keys are kept (as copies) for re-checks; all are counted.
        ///
        /// When more keys differ, the re-checks are skipped: that many differences are no writes in flight.
        package var maximumKeptKeys: Int
        /// How many keys must be checked before most of them differing stops the verification early.
        ///
        /// More than half differing means the sync is broken, and comparing the rest would only say so at
        /// length. 0 never stops.
        package var earlyStopSample: Int
        /// Whether a key was written on both members, when the channel can know it.
        ///
        /// Asked for every key that differs; its answer fills ``Mismatch/writtenOnBothSides``. nil: unknown.
        package var writtenOnBothSides: (@Sendable (_ database: Int, _ key: ByteBuffer) -> Bool)?

        /// Creates options.
        package init(
            batchSize: Int = 1000,
            ttlToleranceMilliseconds: Int = 2000,
            useDigest: Bool? = nil,
            role: ClientRole = .verify,
            recheckRounds: Int = 3,
            recheckDelay: Duration = .seconds(1),
            writtenOnBothSides: (@Sendable (_ database: Int, _ key: ByteBuffer) -> Bool)? = nil,
            bigKeyBytes: Int = 1 << 20,
            bigKeyElements: Int = 16384,
            bigKeyPageElements: Int = 1000,
            bigKeyPageBytes: Int = 512 << 10,
            maxReadsPerSecond: Int? = nil,
            maximumKeptKeys: Int = 10_000,
            earlyStopSample: Int = 1000
        ) {
            self.bigKeyBytes = bigKeyBytes
            self.bigKeyElements = bigKeyElements
            self.bigKeyPageElements = bigKeyPageElements
            self.bigKeyPageBytes = bigKeyPageBytes
            self.maxReadsPerSecond = maxReadsPerSecond
            self.maximumKeptKeys = maximumKeptKeys
            self.earlyStopSample = earlyStopSample
            self.batchSize = batchSize
            self.ttlToleranceMilliseconds = ttlToleranceMilliseconds
            self.useDigest = useDigest
            self.role = role
            self.recheckRounds = recheckRounds
            self.recheckDelay = recheckDelay
            self.writtenOnBothSides = writtenOnBothSides
        }
    }

    /// At most this many mismatches are listed in a report; all are counted.
    package static let maximumReportedMismatches = 1000

    package var source: RedisEndpoint
    package var target: RedisEndpoint
    package var options: Options
    /// Paces reads on the source at ``Options/maxReadsPerSecond`` (as it was when the verifier was made).
    let pacer: ReadPacer

    /// Creates a verifier.
    package init(source: RedisEndpoint, target: RedisEndpoint, options: Options = Options()) {
        self.source = source
        self.target = target
        self.options = options
        pacer = ReadPacer(readsPerSecond: options.maxReadsPerSecond)
    }

    /// Set once a pass finds the sync broken, so the other pass stops too.
    final class StopSignal: Sendable {
        private let flag = Mutex(false)

        var isSet: Bool { flag.withLock { $0 } }

        func set() { flag.withLock { $0 = true } }
    }

    /// Verifies every key; `progress` counts keys scanned on the source and then on the target.
    ///
    /// When keys differ after the full pass, up to ``Options/recheckRounds`` rounds compare those keys again
    /// (all kinds, with the same rules), each after `catchUp` returns, or after ``Options/recheckDelay`` when
    /// there is no `catchUp`; a round with no key left ends them. `catchUp` waits until the channel has applied
    /// everything written on either side so far. The report lists the keys that still differ after the last
    /// round.
    package func run(
        progress: @escaping @Sendable (_ keysDone: Int, _ keysTotal: Int) -> Void,
        catchUp: (@Sendable () async throws -> Void)? = nil
    ) async throws -> VerificationReport {
        let started = ContinuousClock.now
        let (sourceSizes, targetSizes, mode, functions) = try await source.withConnections(
            and: target, role: options.role
        ) { sourceControl, targetControl in
            // One FUNCTION LIST per side, alongside the key counts: the functions cost no key pass.
            async let sourceFunctions = Self.functionListing(sourceControl)
            async let targetFunctions = Self.functionListing(targetControl)
            let sourceSizes = try await Keyspace.sizes(
                sourceControl, databases: try await Keyspace.databasesWithKeys(sourceControl))
            let targetSizes = try await Keyspace.sizes(
                targetControl, databases: try await Keyspace.databasesWithKeys(targetControl))
            let mode = try await chooseMode(sourceControl, targetControl)
            let functions = Self.compareFunctions(source: try await sourceFunctions, target: try await targetFunctions)
            return (sourceSizes, targetSizes, mode, functions)
        }

        let counter = ProgressCounter(total: sourceSizes.values.reduce(0, +) + targetSizes.values.reduce(0, +))
        let report: @Sendable (Int) -> Void = { scanned in
            let (done, total) = counter.add(scanned)
            progress(done, total)
        }
        // The source pass and the search for extra keys use their own connections and run side by side.
        let keepsKeys = options.recheckRounds > 0
        let stop = StopSignal()
        async let extras = findExtraKeys(
            in: targetSizes.keys.sorted(), keepingKeys: keepsKeys, stop: stop, progress: report)
        var state = State(keepsDifferingKeys: keepsKeys)
        for database in sourceSizes.keys.sorted() where !state.stoppedEarly {
            try await compareSourceKeys(
                database, mode: mode, state: &state, stop: stop, progress: report)
        }
        state.merge(try await extras)
        let recheck = try await recheck(after: state, mode: mode, catchUp: catchUp)
        state.replaceMismatches(with: recheck.state)

        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let databases = Set(sourceSizes.keys).union(targetSizes.keys).count
        var summary = Self.summary(
            state: state, databases: databases, sourceSizes: sourceSizes, targetSizes: targetSizes,
            resolvedOnRecheck: recheck.resolved)
        if state.stoppedEarly {
            summary +=
                "; verification stopped early: more than half of the first \(state.keysChecked) keys differ, "
                + "the sync looks broken (check the channel, then verify again)"
        }
        if let functionSummary = functions.summary { summary += "; " + functionSummary }
        return VerificationReport(
            passed: state.mismatchCount == 0 && functions.outcome != .differ, keysChecked: state.keysChecked,
            sourceKeysPerDatabase: sourceSizes, targetKeysPerDatabase: targetSizes, mismatches: state.mismatches,
            mismatchCount: state.mismatchCount, seconds: seconds, summary: summary, functions: functions,
            rounds: recheck.rounds, recheckedKeys: recheck.keys, resolvedOnRecheck: recheck.resolved,
            stoppedEarly: state.stoppedEarly)
    }

    /// How keys are fingerprinted, decided once per verification from what both servers allow.
    struct Mode: Sendable {
        /// Fingerprints of small keys are `DEBUG DIGEST-VALUE`s (else `DUMP` payloads).
        var useDigest: Bool
        /// Digests can be asked for, to re-check `DUMP` payloads that differ.
        var digestAvailable: Bool
    }

    /// Probes both servers for `DEBUG DIGEST-VALUE` and picks the mode they allow.
    ///
    /// No script is used: a script over a batch holds the server for the sum of its keys, and through a
    /// cluster's proxy it may take keys of one hash slot only.
    private func chooseMode(_ source: RESPConnection, _ target: RESPConnection) async throws -> Mode {
        async let sourceDigest = Self.digestWorks(source)
        async let targetDigest = Self.digestWorks(target)
        let (digestOnSource, digestOnTarget) = try await (sourceDigest, targetDigest)
        let digestAvailable = digestOnSource && digestOnTarget && options.useDigest != false
        // A digest is 20 bytes where a DUMP payload is as big as the value: digests when both sides allow them.
        let useDigest = options.useDigest ?? digestAvailable
        return Mode(useDigest: useDigest, digestAvailable: digestAvailable)
    }

    /// `DEBUG DIGEST-VALUE` of each key, one command per key (each key may lie in another hash slot).
    static func digests(of keys: [ByteBuffer], on connection: RESPConnection) async throws -> [ByteBuffer?] {
        let replies = try await connection.pipeline(
            keys.map { RESPCommand("DEBUG", "DIGEST-VALUE", RESPArgument($0)) })
        return try replies.map { reply in
            if let error = reply.serverError { throw RESPError.server(error) }
            guard let digest = reply.array?.first else {
                throw SyncError.unexpectedReply(command: "DEBUG DIGEST-VALUE", reply: "\(reply)")
            }
            return digest.bytes
        }
    }

    /// Whether `DEBUG DIGEST-VALUE` is allowed on this connection.
    private static func digestWorks(_ connection: RESPConnection) async throws -> Bool {
        let reply = try await connection.pipeline([RESPCommand("DEBUG", "DIGEST-VALUE", "__kvmove:probe")])
        return reply.first?.array != nil
    }

    /// Running totals of one pass of a verification.
    struct State: Sendable {
        var keysChecked = 0
        var mismatches: [Mismatch] = []
        var mismatchCount = 0
        var countsByKind: [MismatchKind: Int] = [:]
        /// Mismatches of keys that were written on both members (``Options/writtenOnBothSides``).
        var writtenOnBothSidesCount = 0
        /// Keys of kvmove's own channels (checkpoints) seen on the target, by database: not the application's.
        var channelKeys: [Int: Int] = [:]
        /// The same on the source (the reverse direction's checkpoint of a two-way channel).
        var sourceChannelKeys: [Int: Int] = [:]
        /// Whether ``differingKeys`` is kept: only when there are rounds of re-checks to run.
        var keepsDifferingKeys = true
        /// The raw key of mismatches by database, in the order found (a key SCAN returned twice is twice), up
        /// to the cap given to ``record(_:key:keeping:)``: copies, never slices of a reply buffer.
        var differingKeys: [Int: [ByteBuffer]] = [:]
        /// How many keys ``differingKeys`` holds.
        var keptKeys = 0
        /// Mismatches whose key was not kept (beyond the cap): counted, never re-checked.
        var unkeptKeys = 0
        /// The pass stopped before the end because most keys differed (``syncLooksBroken(sample:)``).
        var stoppedEarly = false

        init(keepsDifferingKeys: Bool = true) {
            self.keepsDifferingKeys = keepsDifferingKeys
        }

        /// Counts a mismatch; lists it while fewer than ``Verifier/maximumReportedMismatches`` are listed and
        /// keeps a copy of its key for re-checks while fewer than `cap` are kept.
        mutating func record(_ mismatch: Mismatch, key: ByteBuffer, keeping cap: Int = .max) {
            mismatchCount += 1
            countsByKind[mismatch.kind, default: 0] += 1
            if mismatch.writtenOnBothSides == true { writtenOnBothSidesCount += 1 }
            if mismatches.count < Verifier.maximumReportedMismatches { mismatches.append(mismatch) }
            guard keepsDifferingKeys else { return }
            if keptKeys < cap {
                differingKeys[mismatch.database, default: []].append(ByteBuffer(bytes: key.readableBytesView))
                keptKeys += 1
            } else {
                unkeptKeys += 1
            }
        }

        /// Whether more than half of at least `sample` keys checked differ: the sync is broken, not in flight.
        func syncLooksBroken(sample: Int) -> Bool {
            sample > 0 && keysChecked >= sample && mismatchCount * 2 > keysChecked
        }

        mutating func merge(_ other: State) {
            keysChecked += other.keysChecked
            mismatchCount += other.mismatchCount
            countsByKind.merge(other.countsByKind, uniquingKeysWith: +)
            writtenOnBothSidesCount += other.writtenOnBothSidesCount
            channelKeys.merge(other.channelKeys, uniquingKeysWith: +)
            sourceChannelKeys.merge(other.sourceChannelKeys, uniquingKeysWith: +)
            mismatches += other.mismatches.prefix(Verifier.maximumReportedMismatches - mismatches.count)
            differingKeys.merge(other.differingKeys, uniquingKeysWith: +)
            keptKeys += other.keptKeys
            unkeptKeys += other.unkeptKeys
            stoppedEarly = stoppedEarly || other.stoppedEarly
        }

        /// Takes the mismatches of a later round; keeps what the full pass counted (keys, channel keys).
        mutating func replaceMismatches(with later: State) {
            mismatches = later.mismatches
            mismatchCount = later.mismatchCount
            countsByKind = later.countsByKind
            writtenOnBothSidesCount = later.writtenOnBothSidesCount
            differingKeys = later.differingKeys
            keptKeys = later.keptKeys
            unkeptKeys = later.unkeptKeys
        }
    }

    /// Keys scanned so far by both passes.
    final class ProgressCounter: Sendable {
        private let done = Mutex(0)
        let total: Int

        init(total: Int) { self.total = total }

        func add(_ count: Int) -> (done: Int, total: Int) {
            let now = done.withLock { value in
                value += count
                return value
            }
            return (min(now, total), total)
        }
    }

    /// One line: how many keys match or differ, then what the re-checks and the channel's hook found.
    static func summary(
        state: State,
        databases: Int,
        sourceSizes: [Int: Int],
        targetSizes: [Int: Int],
        resolvedOnRecheck: Int = 0
    ) -> String {
        let dbs = databases == 1 ? "1 db" : "\(databases) dbs"
        let keys = state.keysChecked == 1 ? "1 key" : "\(state.keysChecked) keys"
        let resolved =
            resolvedOnRecheck == 0
            ? ""
            : "; \(resolvedOnRecheck == 1 ? "1 key" : "\(resolvedOnRecheck) keys") differed while being written "
                + "and matched on re-check"
        guard state.mismatchCount == 0 else {
            let kinds = MismatchKind.allCases.compactMap { kind -> String? in
                guard let count = state.countsByKind[kind], count > 0 else { return nil }
                return "\(count) \(kind.rawValue)"
            }
            var line = "\(state.mismatchCount) of \(keys) differ (\(kinds.joined(separator: ", ")))"
            let both = state.writtenOnBothSidesCount
            if both > 0 {
                line += "; \(both) of them \(both == 1 ? "was" : "were") written on both members: "
                line += "a conflict the group does not merge"
            }
            return line + resolved
        }
        var line = state.keysChecked == 1 ? "1 key matches in \(dbs)" : "\(keys) match in \(dbs)"
        // A target fed by the live channel holds its checkpoint key too: that is no change of the key counts.
        var applicationSizes = targetSizes
        for (database, count) in state.channelKeys { applicationSizes[database, default: 0] -= count }
        var sourceApplicationSizes = sourceSizes
        for (database, count) in state.sourceChannelKeys { sourceApplicationSizes[database, default: 0] -= count }
        if sourceApplicationSizes.filter({ $0.value > 0 }) != applicationSizes.filter({ $0.value > 0 }) {
            line += " (key counts changed while verifying)"
        }
        return line + resolved
    }
}
