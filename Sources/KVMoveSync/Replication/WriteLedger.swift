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

    private struct Direction {
        var lastWrite: [Key: Int64] = [:]
        var order: [(offset: Int64, key: Key)] = []
        var orderStart = 0
        /// The other direction's position applied on this direction's source, as last seen in its stream.
        var peerApplied: Int64 = -1
    }

    private struct State {
        var directions = [Direction(), Direction()]
        var conflicts: [Key] = []
        var conflictSet: Set<Key> = []
        var conflictCount = 0
        var incomplete = false
    }

    private let state = Mutex(State())

    /// Creates an empty ledger.
    package init(capacity: Int = 1_000_000) {
        self.capacity = capacity
    }

    /// Records that `side`'s stream passed over a block of the other direction that had applied the other
    /// member's stream up to `offset`.
    package func peerApplied(_ side: Side, offset: Int64) {
        state.withLock { state in
            state.directions[side.rawValue].peerApplied = max(state.directions[side.rawValue].peerApplied, offset)
            // Entries of the other direction at or below it cannot conflict with later writes here.
            Self.prune(&state.directions[side.other.rawValue], upTo: state.directions[side.rawValue].peerApplied)
        }
    }

    /// Records application writes of `side`'s stream at `offset`; returns those that conflict.
    @discardableResult
    package func wrote(_ side: Side, keys: [Key], offset: Int64) -> [Key] {
        guard !keys.isEmpty else { return [] }
        return state.withLock { state in
            let seen = state.directions[side.rawValue].peerApplied
            var found: [Key] = []
            for key in keys {
                if let other = state.directions[side.other.rawValue].lastWrite[key], other > seen {
                    found.append(key)
                    if state.conflictSet.insert(key).inserted {
                        state.conflictCount += 1
                        if state.conflicts.count < Self.listed { state.conflicts.append(key) }
                    }
                }
                state.directions[side.rawValue].lastWrite[key] = offset
                state.directions[side.rawValue].order.append((offset, key))
            }
            var direction = state.directions[side.rawValue]
            while direction.order.count - direction.orderStart > capacity {
                let (old, key) = direction.order[direction.orderStart]
                direction.orderStart += 1
                if direction.lastWrite[key] == old { direction.lastWrite[key] = nil }
                state.incomplete = true
            }
            Self.compact(&direction)
            state.directions[side.rawValue] = direction
            return found
        }
    }

    /// The keys found written on both members (at most ``listed``), how many there are, and whether some
    /// may have been missed because the ledger was full.
    package var conflicts: (keys: [Key], count: Int, incomplete: Bool) {
        state.withLock { ($0.conflicts, $0.conflictCount, $0.incomplete) }
    }

    /// Whether `key` was found written on both members.
    package func isConflict(_ key: Key) -> Bool {
        state.withLock { $0.conflictSet.contains(key) }
    }

    private static func prune(_ direction: inout Direction, upTo offset: Int64) {
        while direction.orderStart < direction.order.count, direction.order[direction.orderStart].offset <= offset {
            let (old, key) = direction.order[direction.orderStart]
            direction.orderStart += 1
            if direction.lastWrite[key] == old { direction.lastWrite[key] = nil }
        }
        compact(&direction)
    }

    private static func compact(_ direction: inout Direction) {
        if direction.orderStart > 4096, direction.orderStart * 2 > direction.order.count {
            direction.order.removeFirst(direction.orderStart)
            direction.orderStart = 0
        }
    }

    /// The keys an application command of the stream writes, as the ledger counts them.
    package static func keys(of frame: RESPCommandFrame, database: Int) -> [Key] {
        let arguments = frame.arguments
        guard arguments.count >= 2 else { return [] }
        // A copy: a slice would keep the whole read buffer it came from alive.
        func key(_ bytes: ByteBuffer) -> Key {
            Key(database: database, key: ByteBuffer(bytes: bytes.readableBytesView))
        }
        switch String(buffer: arguments[0]).uppercased() {
        case "SELECT", "FLUSHALL", "FLUSHDB", "SWAPDB", "FUNCTION", "PUBLISH", "SCRIPT", "PING":
            return []
        case "DEL", "UNLINK":
            return arguments.dropFirst().map(key)
        case "MSET", "MSETNX":
            return stride(from: 1, to: arguments.count, by: 2).map { key(arguments[$0]) }
        case "RENAME", "RENAMENX":
            return arguments.dropFirst().prefix(2).map(key)
        default:
            return [key(arguments[1])]
        }
    }
}
