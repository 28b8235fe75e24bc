import KVMoveRESP

/// Measures how far kvmove's own channel is behind its source, in time, without writing anything.
///
/// One measurement reads the source's `master_repl_offset`, then polls the channel's checkpoint in the
/// target (written in the same transaction as the writes it covers) until it reaches that offset: the time
/// that took is how long a write the source acknowledged at the start waited to be on the target. It
/// keeps one connection to each side for all its measurements.
///
/// One direction of a two-way channel passes over the other direction's echoes without checkpointing each
/// (the checkpoint would cross back); it names its connection to the target after the offset it reached
/// (``ReplicaChannel/beaconPrefix(_:)``), and a probe given `channelName` reads that name too.
package actor ChannelLagProbe {
    private let source: RedisEndpoint
    private let target: RedisEndpoint
    private let checkpointKey: String
    private let beaconPrefix: String?
    private var sourceConnection: RESPConnection?
    private var targetConnection: RESPConnection?

    /// Creates a probe for the channel whose checkpoint key in the target is `checkpointKey`; `channelName`
    /// for one direction of a two-way channel.
    package init(source: RedisEndpoint, target: RedisEndpoint, checkpointKey: String, channelName: String? = nil) {
        self.source = source
        self.target = target
        self.checkpointKey = checkpointKey
        beaconPrefix = channelName.map(ReplicaChannel.beaconPrefix)
    }

    /// A probe for `channel`.
    package init(_ channel: ReplicaChannel) {
        self.init(
            source: channel.source, target: channel.target, checkpointKey: channel.checkpointKey,
            channelName: channel.options.peerName == nil ? nil : channel.name)
    }

    /// The source's replication offset now.
    package func sourceOffset() async throws -> Int64 {
        let connection = try await sourceSide()
        let info = try await connection.send(RESPCommand("INFO", "replication")).string ?? ""
        guard let offset = RedisInfo.fields(info)["master_repl_offset"].flatMap({ Int64($0) }) else {
            throw SyncError.unexpectedReply(command: "INFO replication", reply: "no master_repl_offset field")
        }
        return offset
    }

    /// The source offset the target has applied; nil when the target holds no checkpoint (no full sync done).
    package func appliedOffset() async throws -> Int64? {
        let connection = try await targetSide()
        guard let beaconPrefix else {
            let reply = try await connection.send(RESPCommand("GET", RESPArgument(checkpointKey)))
            return reply.string.flatMap(ReplicationPosition.init(markerText:))?.offset
        }
        let replies = try await connection.pipeline([
            RESPCommand("GET", RESPArgument(checkpointKey)), RESPCommand("CLIENT", "LIST", "TYPE", "normal"),
        ])
        let checkpoint = replies.first?.string.flatMap(ReplicationPosition.init(markerText:))?.offset
        let beacon = ClientListEntry.parse(replies.last?.string ?? "").compactMap { entry -> Int64? in
            guard entry.name.hasPrefix(beaconPrefix) else { return nil }
            return Int64(entry.name.dropFirst(beaconPrefix.count))
        }.max()
        guard let checkpoint else { return nil }
        return max(checkpoint, beacon ?? checkpoint)
    }

    /// How long the target took to reach the source's offset of now; nil when not within `limit`.
    package func measure(limit: Duration) async throws -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        let goal = try await sourceOffset()
        while true {
            if let applied = try await appliedOffset(), applied >= goal { return clock.now - start }
            if clock.now - start >= limit { return nil }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Closes both connections.
    package func close() async {
        await sourceConnection?.close()
        await targetConnection?.close()
        sourceConnection = nil
        targetConnection = nil
    }

    private func sourceSide() async throws -> RESPConnection {
        if let sourceConnection { return sourceConnection }
        let connection = try await source.connect(role: .gate)
        sourceConnection = connection
        return connection
    }

    private func targetSide() async throws -> RESPConnection {
        if let targetConnection { return targetConnection }
        let connection = try await target.connect(role: .gate)
        targetConnection = connection
        return connection
    }
}
