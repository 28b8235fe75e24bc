import KVMoveCore

/// The emulated cloud of one sandbox, as persisted in `state.json`.
///
/// Passwords are never part of it: each instance's password lives only in its 0600 file.
package struct SandboxState: Codable, Hashable, Sendable {
    /// The format version of `state.json`.
    package static let currentVersion = 1

    package var version: Int
    /// The declared sandbox's `metadata.name`, once `sandbox up` ran.
    package var name: String?
    package var regions: [SandboxRegion]
    package var vpcs: [VPCRecord]
    package var vSwitches: [VSwitchRecord]
    package var instances: [InstanceRecord]
    package var groups: [GroupRecord]
    /// The last verification per migration name.
    package var verifications: [String: VerificationRecord]

    package init() {
        version = Self.currentVersion
        name = nil
        regions = []
        vpcs = []
        vSwitches = []
        instances = []
        groups = []
        verifications = [:]
    }

    /// The instance with `id`, released or not.
    package func instance(_ id: String) -> InstanceRecord? { instances.first { $0.id == id } }

    /// The group with `id`.
    package func group(_ id: String) -> GroupRecord? { groups.first { $0.id == id } }

    /// Changes the instance with `id`, when there is one.
    package mutating func update(instance id: String, _ change: (inout InstanceRecord) throws -> Void) rethrows {
        guard let index = instances.firstIndex(where: { $0.id == id }) else { return }
        try change(&instances[index])
    }

    /// Changes the group with `id`, when there is one.
    package mutating func update(group id: String, _ change: (inout GroupRecord) throws -> Void) rethrows {
        guard let index = groups.firstIndex(where: { $0.id == id }) else { return }
        try change(&groups[index])
    }
}

/// A VPC of the emulated cloud: the same fields as the provider reports.
package typealias VPCRecord = ObservedVPC

/// A vSwitch (one zone of one VPC): the same fields as the provider reports.
package typealias VSwitchRecord = ObservedVSwitch

/// The lifecycle an instance record goes through, as the cloud names it.
package enum InstanceLifecycle: String, Codable, Hashable, Sendable {
    case creating = "Creating"
    case normal = "Normal"
    case changing = "Changing"
    case released = "Released"
}

/// One instance: a redis-server process and its attributes.
package struct InstanceRecord: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    package var instanceClass: String
    package var engineVersion: String
    package var minorVersion: String
    package var billing: Billing
    package var tags: [String: String]
    package var groupId: String?
    package var lifecycle: InstanceLifecycle
    /// The loopback port the server listens on; kept across restarts.
    package var port: Int
    /// The server's process id while it runs.
    package var pid: Int32?
    /// The idempotency token of the create that made it.
    package var token: String
    /// True once its declared seed data was written completely.
    package var seeded: Bool

    package init(
        id: String,
        name: String,
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        instanceClass: String,
        engineVersion: String,
        minorVersion: String,
        billing: Billing,
        tags: [String: String] = [:],
        groupId: String? = nil,
        lifecycle: InstanceLifecycle = .creating,
        port: Int,
        pid: Int32? = nil,
        token: String,
        seeded: Bool = false
    ) {
        self.id = id
        self.name = name
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.instanceClass = instanceClass
        self.engineVersion = engineVersion
        self.minorVersion = minorVersion
        self.billing = billing
        self.tags = tags
        self.groupId = groupId
        self.lifecycle = lifecycle
        self.port = port
        self.pid = pid
        self.token = token
        self.seeded = seeded
    }

    /// False once released.
    package var isLive: Bool { lifecycle != .released }
}

/// An active-active group and its channel.
package struct GroupRecord: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    /// Member instance ids, first member first.
    package var members: [String]
    package var tags: [String: String]
    package var token: String
    /// The sync channel into the second member, while there is one.
    package var channel: ChannelRecord?

    package init(
        id: String,
        name: String,
        members: [String],
        tags: [String: String],
        token: String,
        channel: ChannelRecord? = nil
    ) {
        self.id = id
        self.name = name
        self.members = members
        self.tags = tags
        self.token = token
        self.channel = channel
    }
}

/// The channel worker of a group: what it copies and how far it got.
package struct ChannelRecord: Codable, Hashable, Sendable {
    package var source: String
    package var target: String
    /// The worker's process id, while one was started.
    package var pid: Int32?
    package var phase: ObservedSync.Phase
    /// 0…1.
    package var progress: Double
    package var keysDone: Int
    package var keysTotal: Int
    /// A short message, password-free: what the worker is doing, or why it failed.
    package var message: String?
    /// The live channel's own phase: `connecting`, `full-sync`, `streaming`, `reconnecting` or `failed`; or
    /// ``scanCopyPhase`` for a source that refused `PSYNC`.
    package var channelPhase: String?
    /// The channel phase of a source copied once with the scan copier: later writes are not carried.
    package static let scanCopyPhase = "scan-copy"
    /// The source's replication offset of the last byte applied to the target.
    package var appliedOffset: Int64?
    /// The source's `master_repl_offset` when the worker last looked.
    package var sourceOffset: Int64?
    /// `sourceOffset - appliedOffset`.
    package var lagBytes: Int64?
    /// How long the target has been behind the source (0 while caught up), in seconds.
    package var lagSeconds: Double?
    /// Commands of the stream applied per second, over the last report interval.
    package var opsPerSecond: Double?
    /// RDB bytes of the current full sync read, and their total when the source announced it.
    package var fullSyncBytes: Int?
    package var fullSyncBytesTotal: Int?
    /// Seconds left in the current full sync, estimated from its rate so far.
    package var fullSyncETASeconds: Double?
    /// Full syncs and continues (`+CONTINUE`) since the worker started, and error replies from the target.
    package var fullSyncs: Int?
    package var continues: Int?
    package var errorReplies: Int?
    /// Bytes read from the source and waiting in the spool file (beyond the memory buffer) for the target.
    package var spooledBytes: Int?
    /// Application writes on the source carried to the target since the worker started (the source's
    /// expiries count too: the stream carries them as `DEL`s), and blocks passed over as the reverse
    /// direction's echoes.
    package var applicationWrites: Int?
    package var echoesSkipped: Int?
    /// The reverse direction (target to source) of the two-way group, once it has joined.
    package var reverse: DirectionRecord?
    /// Keys the applications wrote on both members before either saw the other's write (a conflict the
    /// group does not merge), as this worker found them: how many, and the first of them.
    package var conflictCount: Int?
    package var conflictKeys: [ConflictKeyRecord]?
    /// `spec.connection.commandTimeout` and `replicationTimeout` of the migration that started the channel, in
    /// seconds; nil for the data plane's defaults.
    package var commandTimeoutSeconds: Int?
    package var replicationTimeoutSeconds: Int?

    package init(
        source: String,
        target: String,
        pid: Int32? = nil,
        phase: ObservedSync.Phase = .initializing,
        progress: Double = 0,
        keysDone: Int = 0,
        keysTotal: Int = 0,
        message: String? = nil
    ) {
        self.source = source
        self.target = target
        self.pid = pid
        self.phase = phase
        self.progress = progress
        self.keysDone = keysDone
        self.keysTotal = keysTotal
        self.message = message
    }
}

/// A key written on both members of a group: its database, its bytes (hex) and a printable form.
package struct ConflictKeyRecord: Codable, Hashable, Sendable {
    package var database: Int
    package var keyHex: String
    package var key: String

    package init(database: Int, bytes: [UInt8], printable: String) {
        self.database = database
        keyHex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
        key = printable
    }
}

/// One direction of a group's channel other than the forward one: the target's writes applied to the source.
package struct DirectionRecord: Codable, Hashable, Sendable {
    /// `connecting`, `streaming`, `reconnecting` or `failed`.
    package var channelPhase: String
    /// The target's replication offset of the last byte applied to the source (or passed over as an echo).
    package var appliedOffset: Int64?
    /// The target's `master_repl_offset` when the worker last looked.
    package var sourceOffset: Int64?
    package var lagBytes: Int64?
    package var lagSeconds: Double?
    package var opsPerSecond: Double?
    /// Application writes on the target carried to the source since the worker started.
    package var applicationWrites: Int
    /// Blocks of the forward direction's passed over (not carried back).
    package var echoesSkipped: Int
    package var continues: Int
    package var errorReplies: Int
    package var message: String?

    package init(channelPhase: String) {
        self.channelPhase = channelPhase
        applicationWrites = 0
        echoesSkipped = 0
        continues = 0
        errorReplies = 0
    }
}

/// The last verification of a migration's target against its source.
package struct VerificationRecord: Codable, Hashable, Sendable {
    package var passed: Bool
    /// When it ran, ISO 8601.
    package var at: String
    package var summary: String
    /// Where the JSON report was written.
    package var report: String?

    package init(passed: Bool, at: String, summary: String, report: String? = nil) {
        self.passed = passed
        self.at = at
        self.summary = summary
        self.report = report
    }
}
