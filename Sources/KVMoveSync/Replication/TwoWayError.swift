/// Why one direction of a two-way channel stops rather than copy a whole dataset over writes made on the other side.
///
/// In a two-way group both members take application writes. A full sync replaces the receiving side's
/// data with a copy of the other side, which would drop every write made there that has not crossed yet, so
/// once both directions run, neither ever starts again from a copy: each continues from its checkpoint, or
/// stops with one of these errors and says what to do. Nothing is changed on either member.
package enum TwoWayError: DataPlaneFailure, Equatable {
    /// The forward direction cannot continue from its checkpoint and would need a full sync, but the
    /// reverse direction has joined: the target may hold writes the source does not have.
    case forwardResyncRefused(channel: String, peerKey: String)
    /// The reverse direction cannot continue from its checkpoint: the target no longer has that position.
    case reverseHistoryLost(channel: String, position: ReplicationPosition, checkpointKey: String)

    package var description: String {
        switch self {
        case .forwardResyncRefused(let channel, let peerKey):
            "(redis) the source can no longer continue channel \(channel) from its checkpoint (its backlog moved "
                + "past it, or it restarted from an append-only file with a new replication history), and a new "
                + "full copy would overwrite writes made on the target that may not have reached the source. "
                + "Nothing was changed. To copy the source again and drop what only the target has: stop "
                + "application writes on the target, delete the key \(peerKey) in db 0 of the source, and "
                + "restart the channel"
        case .reverseHistoryLost(let channel, let position, let checkpointKey):
            "(redis) the target can no longer continue the reverse direction \(channel) from offset "
                + "\(position.offset) of history \(position.replicationId) (its backlog moved past it, or it "
                + "restarted from an append-only file), so writes made on the target since then cannot be carried "
                + "to the source. Nothing was changed. Compare the members (kvmove verifies both ways); to carry "
                + "only later writes, delete the key \(checkpointKey) in db 0 of the source and restart the channel"
        }
    }

    package var code: String {
        switch self {
        case .forwardResyncRefused: "TwoWayResyncRefused"
        case .reverseHistoryLost: "ReverseHistoryLost"
        }
    }

    package var message: String { String(description.dropFirst(8)) }

    package var isRetryable: Bool { false }
}
