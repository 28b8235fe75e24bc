import KVMoveRESP
import NIOCore

extension Verifier {
    /// What one side says about a batch of keys.
    struct KeyFacts: Sendable {
        /// `PTTL` of each key: -2 when it does not exist, -1 when it is persistent.
        var ttls: [Int64] = []
        /// `TYPE` of each key (`none` when it does not exist).
        var types: [String] = []
        /// Whether each key is above the big-key threshold: compared in pages, never fingerprinted whole.
        var big: [Bool] = []
        /// The fingerprint of each small key that exists on both sides with one type; nil otherwise.
        var fingerprints: [ByteBuffer?] = []
        var nextKeys: [ByteBuffer] = []
        var nextCursor: String?
    }

    /// Pipelines `TYPE`, `PTTL` and `MEMORY USAGE` (default sampling, O(1) here) of each key, then the next
    /// `SCAN` step when `cursor` is set: every command is O(1) and names one key.
    ///
    /// Where `MEMORY USAGE` is refused, the type's O(1) length (`STRLEN`, `HLEN`, …) decides instead. The
    /// fingerprints are fetched afterwards by ``fingerprint(_:_:on:mode:)``, for small keys only.
    func facts(
        _ keys: [ByteBuffer],
        on connection: RESPConnection,
        thenScan cursor: String?
    ) async throws -> KeyFacts {
        var commands: [RESPCommand] = []
        commands.reserveCapacity(keys.count * 3 + 1)
        for key in keys {
            let name = RESPArgument(key)
            commands.append(RESPCommand("TYPE", name))
            commands.append(RESPCommand("PTTL", name))
            commands.append(RESPCommand("MEMORY", "USAGE", name))
        }
        if let cursor { commands.append(Keyspace.scanCommand(cursor: cursor, count: max(1, options.batchSize))) }
        let replies = try await connection.pipeline(commands)
        var facts = KeyFacts()
        facts.ttls.reserveCapacity(keys.count)
        facts.types.reserveCapacity(keys.count)
        facts.big.reserveCapacity(keys.count)
        var unsized: [Int] = []
        for index in keys.indices {
            let typeReply = replies[index * 3]
            let ttlReply = replies[index * 3 + 1]
            if let error = typeReply.serverError ?? ttlReply.serverError { throw RESPError.server(error) }
            guard let type = typeReply.string, let ttl = ttlReply.int else {
                throw SyncError.unexpectedReply(command: "TYPE/PTTL", reply: "\(typeReply) \(ttlReply)")
            }
            facts.types.append(type)
            facts.ttls.append(ttl)
            let usage = replies[index * 3 + 2]
            if let bytes = usage.int {
                facts.big.append(bytes > Int64(options.bigKeyBytes))
            } else {
                facts.big.append(false)
                if usage.serverError != nil && type != "none" { unsized.append(index) }
            }
        }
        if !unsized.isEmpty {
            let lengths = try await connection.pipeline(
                unsized.map { RESPCommand(Self.lengthCommand(facts.types[$0]), RESPArgument(keys[$0])) })
            for (position, index) in unsized.enumerated() {
                let length = lengths[position].int ?? 0
                let limit = facts.types[index] == "string" ? options.bigKeyBytes : options.bigKeyElements
                facts.big[index] = length > Int64(limit)
            }
        }
        facts.fingerprints = Array(repeating: nil, count: keys.count)
        if cursor != nil, let last = replies.last {
            let step = try Keyspace.scanReply(last)
            // Copies, not slices: a kept key must not pin the whole reply buffer it came in.
            facts.nextKeys = step.elements.map { ByteBuffer(bytes: $0.readableBytesView) }
            facts.nextCursor = step.cursor == "0" ? nil : step.cursor
        }
        return facts
    }

    /// The O(1) length command of a type (`MEMORY USAGE` stands for types without one).
    static func lengthCommand(_ type: String) -> String {
        switch type {
        case "string": "STRLEN"
        case "list": "LLEN"
        case "hash": "HLEN"
        case "set": "SCARD"
        case "zset": "ZCARD"
        case "stream": "XLEN"
        default: "EXISTS"
        }
    }

    /// The fingerprints of the keys at `indices` (small keys only): one `DEBUG DIGEST-VALUE` or `DUMP` each.
    func fingerprint(
        _ keys: [ByteBuffer],
        _ indices: [Int],
        on connection: RESPConnection,
        mode: Mode
    ) async throws -> [ByteBuffer?] {
        guard !indices.isEmpty else { return [] }
        if mode.useDigest { return try await Self.digests(of: indices.map { keys[$0] }, on: connection) }
        let replies = try await connection.pipeline(indices.map { RESPCommand("DUMP", RESPArgument(keys[$0])) })
        return try replies.map { reply in
            if let error = reply.serverError { throw RESPError.server(error) }
            return reply.bytes
        }
    }

    func compareSourceKeys(
        _ database: Int,
        mode: Mode,
        state: inout State,
        stop: StopSignal,
        progress: @escaping @Sendable (Int) -> Void
    ) async throws {
        try await source.withConnections(and: target, database: database, role: options.role) {
            sourceConnection, targetConnection in
            var keys: [ByteBuffer] = []
            var cursor: String? = "0"
            while !keys.isEmpty || cursor != nil {
                try Task.checkCancellation()
                if stop.isSet { return }
                let batch = keys
                let onSource = try await compareBatch(
                    batch, database: database, mode: mode, sourceConnection: sourceConnection,
                    targetConnection: targetConnection, thenScan: cursor, rechecking: false, state: &state)
                // A two-way channel keeps its reverse direction's checkpoint in the source: kvmove's, not compared.
                keys = onSource.nextKeys.filter { !ReplicaChannel.isChannelKey($0) }
                if keys.count < onSource.nextKeys.count {
                    state.sourceChannelKeys[database, default: 0] += onSource.nextKeys.count - keys.count
                }
                cursor = onSource.nextCursor
                if !batch.isEmpty { progress(batch.count) }
                if state.syncLooksBroken(sample: options.earlyStopSample) {
                    state.stoppedEarly = true
                    stop.set()
                    return
                }
            }
        }
    }

    /// Compares a batch of keys of one database on both sides and returns what the source said about it.
    ///
    /// The source's answer carries the next `SCAN` step when `cursor` is set. `rechecking` reports a key that
    /// only the target holds as extra; the full pass leaves those to the scan of the target.
    func compareBatch(
        _ batch: [ByteBuffer],
        database: Int,
        mode: Mode,
        sourceConnection: RESPConnection,
        targetConnection: RESPConnection,
        thenScan cursor: String?,
        rechecking: Bool,
        state: inout State
    ) async throws -> KeyFacts {
        try await pacer.take(batch.count)
        async let sourceFacts = facts(batch, on: sourceConnection, thenScan: cursor)
        async let targetFacts = facts(batch, on: targetConnection, thenScan: nil)
        var (onSource, onTarget) = try await (sourceFacts, targetFacts)
        // Small keys present on both sides with one type are fingerprinted; big keys are compared in pages.
        let small = batch.indices.filter {
            onSource.ttls[$0] != -2 && onTarget.ttls[$0] != -2 && onSource.types[$0] == onTarget.types[$0]
                && !onSource.big[$0] && !onTarget.big[$0]
        }
        async let sourcePrints = fingerprint(batch, small, on: sourceConnection, mode: mode)
        async let targetPrints = fingerprint(batch, small, on: targetConnection, mode: mode)
        let (fromSource, fromTarget) = try await (sourcePrints, targetPrints)
        for (position, index) in small.enumerated() {
            onSource.fingerprints[index] = fromSource[position]
            onTarget.fingerprints[index] = fromTarget[position]
        }
        // DUMP payloads of equal content differ when the encoding keeps no order (a hashtable hash or
        // set is rebuilt in another order by RESTORE). Re-fingerprint those keys with encoding-independent
        // digests, one command per key and side, before looking at any key one by one.
        var digested: Set<Int> = []
        if !mode.useDigest && mode.digestAvailable {
            let suspects = small.filter { onSource.fingerprints[$0] != onTarget.fingerprints[$0] }
            if !suspects.isEmpty {
                let suspectKeys = suspects.map { batch[$0] }
                async let sourceDigests = Self.digests(of: suspectKeys, on: sourceConnection)
                async let targetDigests = Self.digests(of: suspectKeys, on: targetConnection)
                let (digestsOnSource, digestsOnTarget) = try await (sourceDigests, targetDigests)
                for (position, index) in suspects.enumerated() {
                    onSource.fingerprints[index] = digestsOnSource[position]
                    onTarget.fingerprints[index] = digestsOnTarget[position]
                    digested.insert(index)
                }
            }
        }
        for index in batch.indices {
            try await compare(
                batch[index], index, onSource, onTarget, database: database,
                useDigest: mode.useDigest || digested.contains(index), rechecking: rechecking,
                sourceConnection: sourceConnection, targetConnection: targetConnection, state: &state)
        }
        return onSource
    }

    /// A mismatch of `key`, marked when ``Options/writtenOnBothSides`` can tell whether both members wrote it.
    func mismatch(_ database: Int, _ key: ByteBuffer, _ kind: MismatchKind, _ detail: String) -> Mismatch {
        Mismatch(
            database: database, key: KeyText.printable(key), kind: kind, detail: detail,
            writtenOnBothSides: options.writtenOnBothSides.map { $0(database, key) })
    }

    func compare(
        _ key: ByteBuffer,
        _ index: Int,
        _ onSource: KeyFacts,
        _ onTarget: KeyFacts,
        database: Int,
        useDigest: Bool,
        rechecking: Bool,
        sourceConnection: RESPConnection,
        targetConnection: RESPConnection,
        state: inout State
    ) async throws {
        let sourceTTL = onSource.ttls[index]
        let tolerance = Int64(options.ttlToleranceMilliseconds)
        let targetTTL = onTarget.ttls[index]
        func report(_ kind: MismatchKind, _ detail: String) {
            state.record(mismatch(database, key, kind, detail), key: key, keeping: options.maximumKeptKeys)
        }
        // Reports, on a re-check, a key gone from the source that the target still holds (and is not expiring).
        func reportIfOnlyOnTarget() {
            guard rechecking, targetTTL != -2, !(targetTTL >= 0 && targetTTL <= tolerance) else { return }
            report(.extra, "only on the target")
        }
        let sourceType = onSource.types[index]
        let targetType = onTarget.types[index]
        guard sourceTTL != -2, sourceType != "none" else {  // deleted or expired on the source meanwhile
            reportIfOnlyOnTarget()
            return
        }
        state.keysChecked += 1
        if targetTTL == -2 || targetType == "none" {
            if sourceTTL >= 0 && sourceTTL <= tolerance { return }  // about to expire on the source too
            report(.missing, "missing on the target")
            return
        }
        if sourceType != targetType {
            report(.type, "source \(sourceType), target \(targetType)")
            return
        }
        if onSource.big[index] || onTarget.big[index] {
            if let difference = try await compareBigKey(
                key, type: sourceType, sourceConnection: sourceConnection, targetConnection: targetConnection)
            {
                report(.value, difference)
                return
            }
        } else {
            let sourceFingerprint = onSource.fingerprints[index]
            let targetFingerprint = onTarget.fingerprints[index]
            if sourceFingerprint != targetFingerprint {
                // A digest also covers whether the key has an expiry; when only that differs, the TTL check reports it.
                let expiryPresenceDiffers = (sourceTTL == -1) != (targetTTL == -1)
                if useDigest && !expiryPresenceDiffers {
                    let sourceText = sourceFingerprint.map { String(buffer: $0).prefix(12) } ?? "none"
                    let targetText = targetFingerprint.map { String(buffer: $0).prefix(12) } ?? "none"
                    report(.value, "value differs (digest \(sourceText)… vs \(targetText)…)")
                    return
                }
                // A small key (below the big-key threshold on both sides): reading it whole is bounded.
                try await pacer.take(1)
                async let sourceContent = Self.content(of: key, type: sourceType, on: sourceConnection)
                async let targetContent = Self.content(of: key, type: targetType, on: targetConnection)
                if try await sourceContent != targetContent {
                    report(.value, "value differs")
                    return
                }
            }
        }
        switch (sourceTTL, targetTTL) {
        case (-1, -1):
            break
        case (-1, _):
            report(.ttl, "source persistent, target ttl \(targetTTL) ms")
        case (_, -1):
            report(.ttl, "source ttl \(sourceTTL) ms, target persistent")
        default:
            if abs(sourceTTL - targetTTL) > tolerance {
                report(.ttl, "source ttl \(sourceTTL) ms, target ttl \(targetTTL) ms")
            }
        }
    }

    /// The logical content of a key as a list of byte strings, independent of its encoding.
    static func content(of key: ByteBuffer, type: String, on connection: RESPConnection) async throws -> [ByteBuffer] {
        let command: RESPCommand
        var sortPairs = false
        var sortElements = false
        switch type {
        case "string": command = RESPCommand("GET", RESPArgument(key))
        case "list": command = RESPCommand("LRANGE", RESPArgument(key), 0, -1)
        case "hash":
            command = RESPCommand("HGETALL", RESPArgument(key))
            sortPairs = true
        case "set":
            command = RESPCommand("SMEMBERS", RESPArgument(key))
            sortElements = true
        case "zset": command = RESPCommand("ZRANGE", RESPArgument(key), 0, -1, "WITHSCORES")
        case "stream": command = RESPCommand("XRANGE", RESPArgument(key), "-", "+")
        default: command = RESPCommand("DUMP", RESPArgument(key))
        }
        let reply = try await connection.send(command)
        var flat: [ByteBuffer] = []
        flatten(reply, into: &flat)
        if sortElements {
            flat.sort { $0.readableBytesView.lexicographicallyPrecedes($1.readableBytesView) }
        } else if sortPairs {
            var pairs = stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }
            pairs.sort { $0.0.readableBytesView.lexicographicallyPrecedes($1.0.readableBytesView) }
            flat = pairs.flatMap { [$0.0, $0.1] }
        }
        return flat
    }

    static func flatten(_ value: RESPValue, into flat: inout [ByteBuffer]) {
        if let elements = value.array {
            for element in elements { flatten(element, into: &flat) }
        } else if let bytes = value.bytes {
            flat.append(bytes)
        } else if let number = value.int {
            flat.append(ByteBuffer(string: String(number)))
        }
    }
}
