import Synchronization

/// What a live channel is doing, shared between the channel and whoever reports on it.
///
/// The channel updates it as it goes; a reporter takes a ``Snapshot`` whenever it likes.
package final class ChannelStatus: Sendable {
    /// Where the channel is.
    package enum Phase: String, Codable, Hashable, Sendable {
        /// Connecting to the source, or waiting for its answer to `PSYNC`.
        case connecting
        /// Applying the source's snapshot (RDB) to the target.
        case fullSync = "full-sync"
        /// Applying the command stream as it arrives.
        case streaming
        /// The connection broke; the channel continues from its checkpoint.
        case reconnecting
        /// The channel stopped for a reason that needs attention.
        case failed
    }

    /// How a full sync reaches the target.
    package enum FullSyncMethod: String, Codable, Hashable, Sendable {
        /// The snapshot is relayed to the target as its primary would send it; the target loads it itself.
        case relay
        /// The snapshot is applied key by key with `RESTORE` (targets that cannot be made replicas).
        case restore
    }

    /// A consistent copy of the status.
    package struct Snapshot: Sendable, Hashable {
        package var phase: Phase = .connecting
        /// The source's replication id the channel follows.
        package var replicationId: String?
        /// The replication offset of the last byte applied to the target (and checkpointed there).
        package var appliedOffset: Int64?
        /// Keys of the current full sync applied so far.
        package var fullSyncKeys = 0
        /// RDB bytes of the current full sync read so far.
        package var fullSyncBytes = 0
        /// The RDB's length, when the source announced it.
        package var fullSyncBytesTotal: Int?
        /// Commands applied since the worker started.
        package var commandsApplied = 0
        /// Error replies from the target since the worker started.
        package var errorReplies = 0
        /// Full syncs since the worker started.
        package var fullSyncs = 0
        /// Sessions that continued with `+CONTINUE`.
        package var continues = 0
        /// The last reason the channel reconnected or failed.
        package var lastError: String?
        /// The database selected at ``appliedOffset``: where the stream's next command applies.
        package var appliedDatabase = 0
        /// Keys of the current full sync too big for one `RESTORE`, copied from the source in parts.
        package var fullSyncBigKeys = 0
        /// Bytes read from the source and waiting in memory to be applied.
        package var bufferedBytes = 0
        /// Bytes read from the source and waiting in the spool file to be applied.
        package var spooledBytes = 0
        /// Bytes written to the spool file since the worker started (the target was slower than the source).
        package var spooledBytesTotal = 0
        /// How the current (or last) full sync reached the target: relayed for the target to load natively,
        /// or applied key by key with `RESTORE`.
        package var fullSyncMethod: FullSyncMethod?
        /// Keys of the current full sync whose expiry was moved out so the stream can still renew them.
        package var fullSyncKeysKeptLonger = 0
        /// Why the target could not take a relayed snapshot, once it failed to: later full syncs use `RESTORE`.
        package var relayUnavailable: String?
        /// Writes of the stream applied to the target since the worker started: the source's application
        /// writes (and its expiries), without `SELECT`s and without what came through the peer.
        package var applicationWrites = 0
        /// Blocks and lone commands of the stream passed over because they came through the peer (two-way).
        package var echoesSkipped = 0
        /// The last checkpoint this channel wrote and the target acknowledged.
        ///
        /// With a peer, the position may pass it over echoes (``appliedOffset``); a new session continues from
        /// there when the target still holds exactly this checkpoint (it lost nothing since).
        package var lastCheckpoint: ReplicationPosition?
    }

    private let state = Mutex(Snapshot())

    /// Creates a status in the `connecting` phase.
    package init() {}

    /// A copy of the current status.
    package var snapshot: Snapshot { state.withLock { $0 } }

    /// Changes the status.
    package func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
    }
}
