/// What `kvmove sandbox status` shows: every live instance and every group.
package struct SandboxStatus: Codable, Hashable, Sendable {
    /// One instance as observed now.
    package struct Instance: Codable, Hashable, Sendable {
        package var id: String
        package var name: String
        package var region: String
        package var zone: String
        package var vpcId: String
        /// `127.0.0.1:PORT`.
        package var endpoint: String
        package var status: String
        package var minorVersion: String
        package var groupId: String?
        /// `used_memory` in bytes, when the server answered.
        package var usedMemoryBytes: Int?
        /// Keys per database, when the server answered.
        package var keys: [String: Int]?
        package var tags: [String: String]
    }

    /// One group and its channel.
    package struct Group: Codable, Hashable, Sendable {
        package var id: String
        package var name: String
        package var members: [String]
        package var phase: String?
        package var progress: Double?
        package var keysDone: Int?
        package var keysTotal: Int?
        /// True when the channel's worker process runs.
        package var workerRunning: Bool
        package var message: String?
        /// The live channel: its phase (`full-sync`, `streaming`, `reconnecting`, `failed`), the applied and
        /// source offsets, the lag in bytes and seconds, the applied commands per second, and counts.
        package var channelPhase: String? = nil
        package var appliedOffset: Int64? = nil
        package var sourceOffset: Int64? = nil
        package var lagBytes: Int64? = nil
        package var lagSeconds: Double? = nil
        package var opsPerSecond: Double? = nil
        package var fullSyncETASeconds: Double? = nil
        package var fullSyncs: Int? = nil
        package var continues: Int? = nil
        package var errorReplies: Int? = nil
        package var spooledBytes: Int? = nil
        /// Application writes carried from the source, and the reverse direction's blocks passed over.
        package var applicationWrites: Int? = nil
        package var echoesSkipped: Int? = nil
        /// The reverse direction (the target's writes, applied to the source), once it has joined.
        package var reverse: DirectionRecord? = nil
        /// Keys the applications wrote on both members before either saw the other's write, and the first.
        package var conflictCount: Int? = nil
        package var conflictKeys: [String]? = nil
    }

    package var sandbox: String
    package var name: String?
    package var instances: [Instance]
    package var groups: [Group]
}
