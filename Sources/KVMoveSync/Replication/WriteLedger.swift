import KVMoveRESP
import NIOCore
import Synchronization

/// Which keys the applications wrote on both members of a two-way group before either saw the other's write.
///
/// Both directions of a ``TwoWayChannel`` share one ledger. Each records, for the keys the application
/// commands of its stream write, the offset in that stream, and the latest position of the other direction
/// it has seen applied there (the other direction's checkpoint in each block it passes over). A write W to
/// key k on member X conflicts when member Y has a write to k that X had not applied when W happened: Y's
/// offset of it is above the position of the other direction in X's stream at W. Whichever direction reads
/// the second of the two writes finds the pair, so every pair is found once both streams are read. The
/// channel changes nothing about such keys (the group does not merge); verification names them.
///
/// Keys are each command's first key, and every key of `DEL`, `UNLINK`, `MSET`, `MSETNX`, `RENAME` and
/// `RENAMENX`. Entries a conflict can no longer involve are dropped as the other direction moves on; at
/// most ``capacity`` are kept per direction, and a ledger that had to drop more says it is incomplete.
/// It lives in the worker's memory: a pair of writes on both sides of a worker restart can be missed.
package final class WriteLedger: Sendable {
    /// One direction of the group.
    package enum Side: Int, Sendable {
        case forward = 0
        case reverse = 1

        var other: Side { self == .forward ? .reverse : .forward }
    }

    /// A key of one database.
    package struct Key: Hashable, Sendable {
        package var database: Int
        package var key: ByteBuffer

        package init(database: Int, key: ByteBuffer) {
            self.database = database
            self.key = key
        }
    }

    /// Keys kept per direction at most.
    package let capacity: Int
    /// Conflicting keys listed at most (all are counted).
    package static let listed = 1000

    /// One direction's writes: the last offset per key (by a 64-bit hash of database and key, so an entry
    /// holds no copy of the key), in the order written for pruning.
    private struct Direction {
        var lastWrite: [Int: Int64] = [:]
        var order: [(offset: Int64, hash: Int)] = []
        var orderStart = 0
        /// The other direction's position applied on this direction's source, as last seen in its stream.
        var peerApplied: Int64 = -1

        mutating func prune(upTo offset: Int64) {
            while orderStart < order.count, order[orderStart].offset <= offset { dropOldest() }
            compact()
        }

        mutating func dropOldest() {
            let (old, hash) = order[orderStart]
            orderStart += 1
            if lastWrite[hash] == old { lastWrite[hash] = nil }
        }

        mutating func compact() {
            if orderStart > 4096, orderStart * 2 > order.count {
                order.removeFirst(orderStart)
                orderStart = 0
            }
        }
    }

    private struct State {
        var directions = [Direction(), Direction()]
        var conflicts: [Key] = []
        var conflictHashes: Set<Int> = []
        var incomplete = false
    }

    private let state = Mutex(State())

    /// Creates an empty ledger.
    package init(capacity: Int = 1_000_000) {
        self.capacity = capacity
    }

    /// The hash a key is kept under (the process's own seed: the ledger is never stored).
    static func hash(_ key: Key) -> Int {
        var hasher = Hasher()
        hasher.combine(key.database)
        key.key.withUnsafeReadableBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }

    /// Records that `side`'s stream passed over a block of the other direction that had applied the other
    /// member's stream up to `offset`.
    package func peerApplied(_ side: Side, offset: Int64) {
        state.withLock { state in
            let seen = max(state.directions[side.rawValue].peerApplied, offset)
            state.directions[side.rawValue].peerApplied = seen
            // Entries of the other direction at or below it cannot conflict with later writes here.
            state.directions[side.other.rawValue].prune(upTo: seen)
        }
    }

    /// Records application writes of `side`'s stream at `offset`; returns those that conflict.
    @discardableResult
    package func wrote(_ side: Side, keys: [Key], offset: Int64) -> [Key] {
        guard !keys.isEmpty else { return [] }
        let hashes = keys.map(Self.hash)
        return state.withLock { state in
            let seen = state.directions[side.rawValue].peerApplied
            var found: [Key] = []
            for (key, hash) in zip(keys, hashes) {
                if let other = state.directions[side.other.rawValue].lastWrite[hash], other > seen {
                    found.append(key)
                    if state.conflictHashes.insert(hash).inserted, state.conflicts.count < Self.listed {
                        // A copy: the key may be a slice of a large read buffer.
                        state.conflicts.append(
                            Key(database: key.database, key: ByteBuffer(bytes: key.key.readableBytesView)))
                    }
                }
                state.directions[side.rawValue].lastWrite[hash] = offset
                state.directions[side.rawValue].order.append((offset, hash))
            }
            while state.directions[side.rawValue].order.count - state.directions[side.rawValue].orderStart > capacity {
                state.directions[side.rawValue].dropOldest()
                state.incomplete = true
            }
            state.directions[side.rawValue].compact()
            return found
        }
    }

    /// The keys found written on both members (at most ``listed``), how many there are, and whether some
    /// may have been missed because the ledger was full.
    package var conflicts: (keys: [Key], count: Int, incomplete: Bool) {
        state.withLock { ($0.conflicts, $0.conflictHashes.count, $0.incomplete) }
    }

    /// Whether `key` was found written on both members.
    package func isConflict(_ key: Key) -> Bool {
        let hash = Self.hash(key)
        return state.withLock { $0.conflictHashes.contains(hash) }
    }

    /// The keys an application command of the stream writes, as the ledger counts them (slices of `frame`).
    package static func keys(of frame: RESPCommandFrame, database: Int) -> [Key] {
        let arguments = frame.arguments
        guard arguments.count >= 2 else { return [] }
        func key(_ bytes: ByteBuffer) -> Key { Key(database: database, key: bytes) }
        let name = arguments[0]
        func named(_ candidate: StaticString) -> Bool { Self.equalsIgnoringCase(name, candidate) }
        if named("SELECT") || named("FLUSHALL") || named("FLUSHDB") || named("SWAPDB") || named("FUNCTION")
            || named("PUBLISH") || named("SCRIPT") || named("PING")
        {
            return []
        }
        if named("DEL") || named("UNLINK") { return arguments.dropFirst().map(key) }
        if named("MSET") || named("MSETNX") {
            return stride(from: 1, to: arguments.count, by: 2).map { key(arguments[$0]) }
        }
        if named("RENAME") || named("RENAMENX") { return arguments.dropFirst().prefix(2).map(key) }
        return [key(arguments[1])]
    }

    /// Whether `bytes` spell `upper` in any case (ASCII).
    static func equalsIgnoringCase(_ bytes: ByteBuffer, _ upper: StaticString) -> Bool {
        guard bytes.readableBytes == upper.utf8CodeUnitCount else { return false }
        return upper.withUTF8Buffer { expected in
            bytes.withUnsafeReadableBytes { actual in
                for index in 0..<expected.count where actual[index] & 0xDF != expected[index] & 0xDF { return false }
                return true
            }
        }
    }
}
