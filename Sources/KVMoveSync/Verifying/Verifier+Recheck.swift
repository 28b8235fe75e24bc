import KVMoveRESP
import NIOCore

extension Verifier {
    /// What the rounds of re-checks after the full pass found.
    struct Recheck: Sendable {
        /// Passes made: the full one and each round of re-checks.
        var rounds = 1
        /// Keys that differed in the full pass and were compared again.
        var keys = 0
        /// Of those, the keys that matched (or were gone from both sides) in a later round.
        var resolved = 0
        /// The mismatches after the last round: the full pass's when there was no re-check.
        var state: State
    }

    /// Compares again, round after round, the keys that differed in the full pass, until none differs.
    ///
    /// Each round first waits for `catchUp` (else ``Options/recheckDelay``), then compares only the keys that
    /// differed in the round before, by their raw names, with the rules of the full pass. When the full pass
    /// kept fewer keys than differed (``Options/maximumKeptKeys``) or stopped early, nothing is re-checked.
    func recheck(
        after pass: State,
        mode: Mode,
        catchUp: (@Sendable () async throws -> Void)?
    ) async throws -> Recheck {
        var result = Recheck(state: pass)
        // Keys beyond the cap, or a pass stopped because most keys differ, are no writes in flight: no re-check.
        guard pass.mismatchCount > 0, options.recheckRounds > 0, pass.unkeptKeys == 0, !pass.stoppedEarly else {
            return result
        }
        var pending = Self.unique(pass.differingKeys)
        result.keys = pending.values.reduce(0) { $0 + $1.count }
        for _ in 0..<options.recheckRounds {
            if let catchUp {
                try await catchUp()
            } else if options.recheckDelay > .zero {
                try await Task.sleep(for: options.recheckDelay)
            }
            let round = try await compareAgain(pending, mode: mode)
            result.rounds += 1
            result.state = round
            pending = round.differingKeys
            if round.mismatchCount == 0 { break }
        }
        result.resolved = result.keys - result.state.mismatchCount
        return result
    }

    /// Each key once per database, in the order first found (SCAN may return a key twice, or a key that
    /// moved while both sides were scanned may be missing on the target and extra on it).
    static func unique(_ keys: [Int: [ByteBuffer]]) -> [Int: [ByteBuffer]] {
        keys.mapValues { list in
            var seen: Set<ByteBuffer> = []
            return list.filter { seen.insert($0).inserted }
        }
    }

    /// One round: the given keys compared on both sides, in batches of ``Options/batchSize``.
    private func compareAgain(_ keys: [Int: [ByteBuffer]], mode: Mode) async throws -> State {
        var state = State()
        let batchSize = max(1, options.batchSize)
        for database in keys.keys.sorted() {
            guard let list = keys[database], !list.isEmpty else { continue }
            try await source.withConnections(and: target, database: database, role: options.role) {
                sourceConnection, targetConnection in
                for start in stride(from: 0, to: list.count, by: batchSize) {
                    try Task.checkCancellation()
                    let batch = Array(list[start..<min(start + batchSize, list.count)])
                    _ = try await compareBatch(
                        batch, database: database, mode: mode, sourceConnection: sourceConnection,
                        targetConnection: targetConnection, thenScan: nil, rechecking: true, state: &state)
                }
            }
        }
        return state
    }
}
