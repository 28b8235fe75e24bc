import KVMoveRESP
import NIOCore

extension Verifier {
    /// Scans the target's databases for keys the source does not have.
    func findExtraKeys(
        in databases: [Int],
        keepingKeys: Bool,
        stop: StopSignal,
        progress: @escaping @Sendable (Int) -> Void
    ) async throws -> State {
        var state = State(keepsDifferingKeys: keepingKeys)
        for database in databases {
            try await findExtraKeys(database, state: &state, stop: stop, progress: progress)
        }
        return state
    }

    func findExtraKeys(
        _ database: Int,
        state: inout State,
        stop: StopSignal,
        progress: @escaping @Sendable (Int) -> Void
    ) async throws {
        try await source.withConnections(and: target, database: database, role: options.role) {
            sourceConnection, targetConnection in
            let batchSize = max(1, options.batchSize)
            var cursor = "0"
            repeat {
                try Task.checkCancellation()
                if stop.isSet { return }
                let step = try Keyspace.scanReply(
                    try await targetConnection.send(Keyspace.scanCommand(cursor: cursor, count: batchSize)))
                cursor = step.cursor
                // The live channel's checkpoint key is kvmove's own, never the application's.
                let keys = step.elements.filter { !ReplicaChannel.isChannelKey($0) }
                if keys.count < step.elements.count {
                    state.channelKeys[database, default: 0] += step.elements.count - keys.count
                }
                // One EXISTS per key, pipelined: a multi-key EXISTS would span hash slots on a cluster.
                var candidates: [Int] = []
                if !keys.isEmpty {
                    try await pacer.take(keys.count)
                    let exists = try await sourceConnection.pipeline(
                        keys.map { RESPCommand("EXISTS", RESPArgument($0)) })
                    candidates = keys.indices.filter { exists[$0].int == 0 }
                }
                if !candidates.isEmpty {
                    let ttls = try await targetConnection.pipeline(
                        candidates.map { RESPCommand("PTTL", RESPArgument(keys[$0])) })
                    for (position, index) in candidates.enumerated() {
                        let ttl = ttls[position].int ?? -2
                        if ttl == -2 { continue }  // gone from the target too
                        if ttl >= 0 && ttl <= Int64(options.ttlToleranceMilliseconds) { continue }  // expiring
                        state.record(
                            mismatch(database, keys[index], .extra, "only on the target"), key: keys[index],
                            keeping: options.maximumKeptKeys)
                    }
                }
                if !keys.isEmpty { progress(keys.count) }
            } while cursor != "0"
        }
    }
}
