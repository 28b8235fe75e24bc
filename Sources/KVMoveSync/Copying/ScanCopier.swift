import KVMoveRESP
import Logging
import NIOCore

/// Copies every key from a source server to a target with `SCAN`, `DUMP`/`PTTL` and `RESTORE … REPLACE ABSTTL`.
///
/// The `RESTORE`s go through ``RestoreWriter``, the writer the live channel's full sync uses too.
/// For each database one source connection scans and dumps while one target connection restores; the
/// dump of batch N+1 runs while batch N is restored, so both servers work at once and at most two batches
/// are held in memory. Keys whose payload is bigger than `Options.bigValueBytes` or the target's
/// `proto-max-bulk-len` are copied in parts (see `ChunkedKeyCopier`). Running it again converges, because
/// every write replaces. Keys written on the source while the copy runs may or may not be seen; keys that
/// vanish between `SCAN` and `DUMP` are skipped.
package struct ScanCopier: Sendable {
    /// Tuning for a copy.
    package struct Options: Sendable {
        /// Keys per `SCAN COUNT` and per pipeline batch.
        package var batchSize: Int
        /// Payloads bigger than this are copied in parts.
        package var bigValueBytes: Int
        /// Elements per part when copying a big list, hash, set, sorted set or stream.
        package var chunkElements: Int
        /// The databases to copy; nil copies every database that has keys.
        package var databases: [Int]?
        /// What the connections are named after (`CLIENT SETNAME kvmove-<role>`).
        package var role: ClientRole

        /// Creates options; the defaults suit most datasets.
        package init(
            batchSize: Int = 1000,
            bigValueBytes: Int = 4 << 20,
            chunkElements: Int = 1000,
            databases: [Int]? = nil,
            role: ClientRole = .copy
        ) {
            self.batchSize = batchSize
            self.bigValueBytes = bigValueBytes
            self.chunkElements = chunkElements
            self.databases = databases
            self.role = role
        }
    }

    package var source: RedisEndpoint
    package var target: RedisEndpoint
    package var options: Options

    private static let logger = Logger(label: "kvmove.sync.copier")

    /// Creates a copier.
    package init(source: RedisEndpoint, target: RedisEndpoint, options: Options = Options()) {
        self.source = source
        self.target = target
        self.options = options
    }

    /// Copies every key; calls `progress` after every batch.
    ///
    /// Idempotent: running it again converges (`RESTORE … REPLACE`).
    package func run(progress: @escaping @Sendable (CopyProgress) -> Void) async throws -> CopyReport {
        let started = ContinuousClock.now
        let control = try await source.connect(role: options.role)
        let databases: [Int]
        let sizes: [Int: Int]
        let absolute: Bool
        do {
            if let chosen = options.databases {
                databases = chosen
            } else {
                databases = try await Keyspace.databasesWithKeys(control)
            }
            sizes = try await Keyspace.sizes(control, databases: databases)
            // Redis 7 answers PEXPIRETIME: the absolute deadline itself, with no clock of kvmove's in between.
            let info = (try? await control.send(RESPCommand("INFO", "server")).string) ?? ""
            let major = RedisInfo.fields(info)["redis_version"]?.split(separator: ".").first.flatMap { Int($0) }
            absolute = (major ?? 0) >= 7
        } catch {
            await control.close()
            throw error
        }
        await control.close()
        let threshold = try await bigValueThreshold()

        var tally = Tally(keysTotal: sizes.values.reduce(0, +))
        for database in databases {
            try Task.checkCancellation()
            try await copyDatabase(
                database, threshold: threshold, absolute: absolute, tally: &tally, progress: progress)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return CopyReport(
            keys: tally.keysDone, bigKeys: tally.bigKeys, bytes: tally.bytes, seconds: seconds,
            keysPerDatabase: tally.keysPerDatabase)
    }

    /// Counters kept across databases.
    struct Tally {
        var keysTotal: Int
        var keysDone = 0
        var bigKeys = 0
        var bytes = 0
        var keysPerDatabase: [Int: Int] = [:]
    }

    /// The smaller of `bigValueBytes` and the target's `proto-max-bulk-len` (when `CONFIG` is allowed).
    private func bigValueThreshold() async throws -> Int {
        let connection = try await target.connect(role: options.role)
        let reply = try? await connection.pipeline([RESPCommand("CONFIG", "GET", "proto-max-bulk-len")])
        await connection.close()
        guard let pair = reply?.first?.pairs?.first, let limit = pair.value.int, limit > 0 else {
            return max(1, options.bigValueBytes)
        }
        return max(1, min(options.bigValueBytes, Int(limit)))
    }

    /// Keys of one batch with what `DUMP` and `PEXPIRETIME` (or `PTTL`) said about them, and the next scan step.
    struct DumpedBatch: Sendable {
        var keys: [ByteBuffer] = []
        var payloads: [ByteBuffer?] = []
        /// Per key: -2 gone, -1 no expiry, else the `PTTL` or, when ``absolute``, the `PEXPIRETIME`.
        var ttls: [Int64] = []
        /// True when ``ttls`` are absolute Unix times in milliseconds (`PEXPIRETIME`).
        var absolute = false
        /// The Unix time in milliseconds the `PTTL`s are relative to.
        var measuredAt: Int64 = 0

        /// The key's absolute expiry in Unix milliseconds; nil when it has none.
        func expireAt(_ index: Int) -> Int64? {
            let ttl = ttls[index]
            if ttl < 0 { return nil }
            return absolute ? ttl : measuredAt + ttl
        }
        var nextKeys: [ByteBuffer] = []
        /// The cursor for the scan step after `nextKeys`; nil when the scan is finished.
        var nextCursor: String?
    }

    private func copyDatabase(
        _ database: Int,
        threshold: Int,
        absolute: Bool,
        tally: inout Tally,
        progress: @escaping @Sendable (CopyProgress) -> Void
    ) async throws {
        try await source.withConnections(and: target, database: database, role: options.role) {
            reader, writer in
            let batchSize = max(1, options.batchSize)
            let first = try Keyspace.scanReply(
                try await reader.send(Keyspace.scanCommand(cursor: "0", count: batchSize)))
            var keys = first.elements
            var cursor: String? = first.cursor == "0" ? nil : first.cursor
            var pending: DumpedBatch?
            while !keys.isEmpty || cursor != nil {
                try Task.checkCancellation()
                let keysToDump = keys
                let nextCursor = cursor
                async let next = dump(
                    keysToDump, thenScan: nextCursor, on: reader, batchSize: batchSize, absolute: absolute)
                if let pending {
                    try await restore(
                        pending, database: database, threshold: threshold, reader: reader, writer: writer, tally: &tally
                    )
                    progress(
                        CopyProgress(
                            keysDone: tally.keysDone, keysTotal: tally.keysTotal, bigKeys: tally.bigKeys,
                            database: database))
                }
                let fetched = try await next
                keys = fetched.nextKeys
                cursor = fetched.nextCursor
                pending = fetched
            }
            if let pending {
                try await restore(
                    pending, database: database, threshold: threshold, reader: reader, writer: writer, tally: &tally)
            }
            progress(
                CopyProgress(
                    keysDone: tally.keysDone, keysTotal: tally.keysTotal, bigKeys: tally.bigKeys, database: database))
        }
    }

    /// Pipelines `DUMP` and `PTTL` for `keys`, followed by the next `SCAN` step when `cursor` is not nil.
    private func dump(
        _ keys: [ByteBuffer],
        thenScan cursor: String?,
        on reader: RESPConnection,
        batchSize: Int,
        absolute: Bool
    ) async throws -> DumpedBatch {
        var commands: [RESPCommand] = []
        commands.reserveCapacity(keys.count * 2 + 1)
        let expiry = absolute ? "PEXPIRETIME" : "PTTL"
        for key in keys {
            commands.append(RESPCommand("DUMP", RESPArgument(key)))
            commands.append(RESPCommand(expiry, RESPArgument(key)))
        }
        if let cursor { commands.append(Keyspace.scanCommand(cursor: cursor, count: batchSize)) }
        let sentAt = Keyspace.nowMilliseconds()
        let replies = try await reader.pipeline(commands)
        let answeredAt = Keyspace.nowMilliseconds()

        var batch = DumpedBatch()
        batch.keys = keys
        batch.absolute = absolute
        batch.measuredAt = sentAt + (answeredAt - sentAt) / 2
        batch.payloads.reserveCapacity(keys.count)
        batch.ttls.reserveCapacity(keys.count)
        for index in keys.indices {
            switch replies[2 * index] {
            case .bulkString(let payload): batch.payloads.append(payload)
            case .null: batch.payloads.append(nil)
            case .error(let error): throw RESPError.server(error)
            case let other: throw SyncError.unexpectedReply(command: "DUMP", reply: "\(other)")
            }
            guard let ttl = replies[2 * index + 1].int else {
                throw SyncError.unexpectedReply(command: expiry, reply: "\(replies[2 * index + 1])")
            }
            batch.ttls.append(ttl)
        }
        if cursor != nil, let last = replies.last {
            let step = try Keyspace.scanReply(last)
            batch.nextKeys = step.elements
            batch.nextCursor = step.cursor == "0" ? nil : step.cursor
        }
        return batch
    }

    /// Restores a batch on the target; big payloads, and payloads the target cannot read, are copied in parts.
    private func restore(
        _ batch: DumpedBatch,
        database: Int,
        threshold: Int,
        reader: RESPConnection,
        writer: RESPConnection,
        tally: inout Tally
    ) async throws {
        var keys: [RestoreWriter.Key] = []
        var restored: [Int] = []
        var inParts: [Int] = []
        keys.reserveCapacity(batch.keys.count)
        restored.reserveCapacity(batch.keys.count)
        for index in batch.keys.indices {
            guard let payload = batch.payloads[index], batch.ttls[index] != -2 else { continue }  // vanished
            tally.bytes += payload.readableBytes
            if payload.readableBytes > threshold {
                inParts.append(index)
                continue
            }
            let ttl = batch.ttls[index]
            keys.append(
                RestoreWriter.Key(
                    key: batch.keys[index], expireAtMilliseconds: batch.expireAt(index),
                    payload: payload))
            restored.append(index)
        }
        let errors = try await RestoreWriter(connection: writer).restore(keys)
        var copied = 0
        for (position, error) in errors.enumerated() {
            guard let error else {
                copied += 1
                continue
            }
            let index = restored[position]
            // A payload from a newer Redis (another RDB version) can still be copied element by element.
            if error.message.contains("payload version or checksum") {
                inParts.append(index)
            } else {
                throw SyncError.restoreFailed(
                    database: database, key: KeyText.printable(batch.keys[index]), error: error)
            }
        }
        if !inParts.isEmpty {
            let chunked = ChunkedKeyCopier(
                reader: reader, writer: writer, database: database, chunkElements: max(1, options.chunkElements),
                chunkBytes: max(1, min(threshold, 1 << 20)))
            for index in inParts {
                let ttl = batch.ttls[index]
                let key = batch.keys[index]
                Self.logger.debug(
                    "copying a big key in parts",
                    metadata: ["db": "\(database)", "key": "\(KeyText.printable(key))"])
                if try await chunked.copy(key, expireAt: batch.expireAt(index)) {
                    copied += 1
                    tally.bigKeys += 1
                }
            }
        }
        tally.keysDone += copied
        tally.keysPerDatabase[database, default: 0] += copied
    }
}
