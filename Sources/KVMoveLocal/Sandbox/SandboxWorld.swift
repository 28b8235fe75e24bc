import Foundation
import KVMoveCore
import KVMoveRESP
import Synchronization

/// What `sandbox up` did, one line each, for the CLI to print.
package enum SandboxEvent: Sendable, Hashable, CustomStringConvertible {
    case created(id: String, name: String, endpoint: String)
    case started(id: String, endpoint: String)
    case running(id: String, endpoint: String)
    case keptReleased(id: String)
    case seeding(id: String, done: Int, total: Int)
    case seeded(id: String, keys: Int, seconds: Double)
    case workerRestarted(groupId: String)
    case stopped(String)

    package var description: String {
        switch self {
        case .created(let id, let name, let endpoint): "+ \(id) (\(name)) created at \(endpoint)"
        case .started(let id, let endpoint): "~ \(id) started at \(endpoint)"
        case .running(let id, let endpoint): "  \(id) already running at \(endpoint)"
        case .keptReleased(let id): "  \(id) was released by a migration; not re-created"
        case .seeding(let id, let done, let total): "  \(id) seeding: \(done) of \(total) keys"
        case .seeded(let id, let keys, let seconds):
            "  \(id) seeded with \(keys) keys in \(String(format: "%.1f", seconds)) s"
        case .workerRestarted(let groupId): "~ channel worker of \(groupId) restarted"
        case .stopped(let what): "- \(what) stopped"
        }
    }
}

/// The sandbox as the `kvmove sandbox` commands see it: bring up, inspect, stop, credentials.
package struct SandboxWorld: Sendable {
    package let sandbox: Sandbox

    package init(sandbox: Sandbox) {
        self.sandbox = sandbox
    }

    package init(layout: SandboxLayout, worker: WorkerLauncher, redisServer: String? = nil) {
        self.init(sandbox: Sandbox(layout: layout, worker: worker, redisServer: redisServer))
    }

    private var store: SandboxStore { sandbox.store }

    // MARK: - Up

    /// Creates what `spec` declares and is missing, idempotently.
    ///
    /// Adds missing regions, zones, VPCs and vSwitches; creates missing instances; starts every
    /// live instance whose process is not running; seeds instances whose seeding has not
    /// finished (new ones, or ones interrupted while seeding); restarts dead channel workers of
    /// groups that still have their target (the live channel runs until sync is disconnected). Instances a
    /// migration released stay released.
    package func up(_ spec: SandboxSpec, events: @escaping @Sendable (SandboxEvent) -> Void = { _ in }) async throws {
        _ = try sandbox.server()
        var created: [String] = []
        var released: [String] = []
        try FileManager.default.createDirectory(at: sandbox.layout.root, withIntermediateDirectories: true)
        try await store.change { state in
            state.name = spec.name
            mergeTopology(spec, into: &state)
            var used = Set(state.instances.map(\.port))
            for declared in spec.instances {
                if let existing = state.instance(declared.id) {
                    if !existing.isLive { released.append(existing.id) }
                    continue
                }
                let port = try FreePort.find(avoiding: used)
                used.insert(port)
                try PasswordFile.write(PasswordFile.generate(), to: sandbox.layout.passwordFile(declared.id))
                state.instances.append(
                    InstanceRecord(
                        id: declared.id, name: declared.name, region: declared.region, zone: declared.zone,
                        vpcId: declared.vpcId, vSwitchId: declared.vSwitchId, instanceClass: declared.instanceClass,
                        engineVersion: declared.engineVersion, minorVersion: declared.minorVersion,
                        billing: declared.billing, lifecycle: .creating, port: port,
                        token: "sandbox-up/\(declared.id)", seeded: declared.seed == nil
                    )
                )
                created.append(declared.id)
            }
        }
        for id in released { events(.keptReleased(id: id)) }

        for record in try store.read().instances where record.isLive {
            let wasRunning = ProcessControl.isAlive(record.pid, as: sandbox.layout.serverIdentity(record.id))
            try await sandbox.ensureRunning(record.id)
            guard let now = try store.read().instance(record.id) else { continue }
            let endpoint = "127.0.0.1:\(now.port)"
            if created.contains(record.id) {
                events(.created(id: record.id, name: record.name, endpoint: endpoint))
            } else if wasRunning {
                events(.running(id: record.id, endpoint: endpoint))
            } else {
                events(.started(id: record.id, endpoint: endpoint))
            }
        }

        for declared in spec.instances {
            guard let seed = declared.seed, let record = try store.read().instance(declared.id), record.isLive,
                !record.seeded
            else { continue }
            try await self.seed(record, seed, events: events)
        }

        for group in try store.read().groups {
            // A live channel must run as long as its target is in the group, not only until the full sync.
            guard let channel = group.channel, channel.channelPhase != ChannelRecord.scanCopyPhase,
                group.members.contains(channel.target),
                !ProcessControl.isAlive(channel.pid, as: sandbox.layout.workerIdentity(group.id))
            else { continue }
            if try await sandbox.ensureWorker(group.id) { events(.workerRestarted(groupId: group.id)) }
        }
    }

    private func mergeTopology(_ spec: SandboxSpec, into state: inout SandboxState) {
        for region in spec.regions {
            if let index = state.regions.firstIndex(where: { $0.id == region.id }) {
                for zone in region.zones where !state.regions[index].zones.contains(zone) {
                    state.regions[index].zones.append(zone)
                }
            } else {
                state.regions.append(region)
            }
        }
        for vpc in spec.vpcs {
            if !state.vpcs.contains(where: { $0.id == vpc.id }) {
                state.vpcs.append(VPCRecord(id: vpc.id, region: vpc.region))
            }
            for vSwitch in vpc.vSwitches where !state.vSwitches.contains(where: { $0.id == vSwitch.id }) {
                state.vSwitches.append(VSwitchRecord(id: vSwitch.id, vpcId: vpc.id, zone: vSwitch.zone))
            }
        }
    }

    private func seed(
        _ record: InstanceRecord,
        _ seed: SeedSpec,
        events: @escaping @Sendable (SandboxEvent) -> Void
    ) async throws {
        let password = try sandbox.password(record.id)
        let started = ContinuousClock.now
        // A seed interrupted earlier left partial data; collections would grow twice.
        try await InstanceProbe.withConnection(port: record.port, password: password) {
            _ = try await $0.send(.init("FLUSHALL"))
        }
        let id = record.id
        let step = max(1, seed.keys / 20)
        let reported = Mutex(0)
        try await Seeder(seed: seed).run(port: record.port, password: password) { done, total in
            let due = reported.withLock { last in
                guard done == total || done - last >= step else { return false }
                last = done
                return true
            }
            if due { events(.seeding(id: id, done: done, total: total)) }
        }
        try await store.change { $0.update(instance: record.id) { $0.seeded = true } }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        events(.seeded(id: record.id, keys: seed.keys, seconds: seconds))
    }

    // MARK: - Status

    /// Every live instance (endpoint, status, memory, keys per database) and every group.
    package func status() async throws -> SandboxStatus {
        let state = try store.read()
        var instances: [SandboxStatus.Instance] = []
        for record in state.instances where record.isLive {
            let status = await sandbox.status(of: record)
            var memory: Int?
            var keys: [String: Int]?
            if status == "Normal", let password = try? sandbox.password(record.id),
                let info = try? await InstanceProbe.info(
                    port: record.port, password: password, sections: ["memory", "keyspace"])
            {
                memory = info["used_memory"].flatMap { Int($0) }
                keys = Dictionary(
                    uniqueKeysWithValues: InstanceProbe.keysPerDatabase(info).map { ("db\($0.key)", $0.value) })
            }
            instances.append(
                SandboxStatus.Instance(
                    id: record.id, name: record.name, region: record.region, zone: record.zone, vpcId: record.vpcId,
                    endpoint: "127.0.0.1:\(record.port)", status: status, minorVersion: record.minorVersion,
                    groupId: record.groupId, usedMemoryBytes: memory, keys: keys, tags: record.tags
                )
            )
        }
        let groups = state.groups.map { group in
            SandboxStatus.Group(
                id: group.id, name: group.name, members: group.members, phase: group.channel?.phase.rawValue,
                progress: group.channel?.progress, keysDone: group.channel?.keysDone,
                keysTotal: group.channel?.keysTotal,
                workerRunning: ProcessControl.isAlive(group.channel?.pid, as: sandbox.layout.workerIdentity(group.id)),
                message: group.channel?.message,
                channelPhase: group.channel?.channelPhase, appliedOffset: group.channel?.appliedOffset,
                sourceOffset: group.channel?.sourceOffset, lagBytes: group.channel?.lagBytes,
                lagSeconds: group.channel?.lagSeconds, opsPerSecond: group.channel?.opsPerSecond,
                fullSyncETASeconds: group.channel?.fullSyncETASeconds, fullSyncs: group.channel?.fullSyncs,
                continues: group.channel?.continues, errorReplies: group.channel?.errorReplies,
                spooledBytes: group.channel?.spooledBytes, applicationWrites: group.channel?.applicationWrites,
                echoesSkipped: group.channel?.echoesSkipped, reverse: group.channel?.reverse,
                conflictCount: group.channel?.conflictCount,
                conflictKeys: group.channel?.conflictKeys?.map { "db\($0.database) \($0.key)" }
            )
        }
        return SandboxStatus(
            sandbox: sandbox.layout.root.path, name: state.name, instances: instances, groups: groups)
    }

    // MARK: - Down

    /// Stops every channel worker and every server; with `purge`, deletes the sandbox directory.
    package func down(purge: Bool, events: @escaping @Sendable (SandboxEvent) -> Void = { _ in }) async throws {
        if store.exists {
            let state = try store.read()
            for group in state.groups
            where ProcessControl.isAlive(group.channel?.pid, as: sandbox.layout.workerIdentity(group.id)) {
                try await sandbox.stopWorker(group.id)
                events(.stopped("channel worker of \(group.id)"))
            }
            for record in state.instances
            where ProcessControl.isAlive(record.pid, as: sandbox.layout.serverIdentity(record.id))
                || hasOrphan(record.id)
            {
                try await sandbox.stopInstance(record.id)
                events(.stopped("\(record.id) (\(record.name))"))
            }
        }
        if purge, FileManager.default.fileExists(atPath: sandbox.layout.root.path) {
            try FileManager.default.removeItem(at: sandbox.layout.root)
        }
    }

    private func hasOrphan(_ id: String) -> Bool {
        ProcessControl.isAlive(sandbox.layout.recordedPid(id), as: sandbox.layout.serverIdentity(id))
    }

    // MARK: - Credentials

    /// `redis://default:PASSWORD@127.0.0.1:PORT` for the live instance with this name or id.
    package func credentials(_ nameOrId: String) throws -> String {
        let live = try store.read().instances.filter(\.isLive)
        guard let record = live.first(where: { $0.id == nameOrId }) ?? live.first(where: { $0.name == nameOrId })
        else {
            let known = live.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
            throw ProviderError.sandbox(
                "InvalidInstanceId.NotFound",
                "no live instance is named or has the id \"\(nameOrId)\" in \(sandbox.layout.root.path)"
                    + (known.isEmpty ? "; the sandbox is empty" : "; instances: \(known)"))
        }
        return PasswordFile.connectionURL(password: try sandbox.password(record.id), port: record.port)
    }
}
