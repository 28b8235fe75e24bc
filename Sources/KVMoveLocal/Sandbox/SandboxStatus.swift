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
    }

    package var sandbox: String
    package var name: String?
    package var instances: [Instance]
    package var groups: [Group]
}
