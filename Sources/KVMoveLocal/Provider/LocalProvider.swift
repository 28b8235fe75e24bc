import Foundation
import KVMoveCore

/// The `local` provider: migrations between instances of a sandbox on this machine.
///
/// Instances are `redis-server` processes, a group's sync channel is a background worker
/// process, verification and the cutover gates run on the shared data plane (KVMoveSync)
/// against the real servers.
///
/// Which sandbox a migration uses is decided once, while observing (from `--sandbox`,
/// `KVMOVE_SANDBOX` or the spec file's directory), and recorded in the plan as the setting
/// ``LocalProvider/sandboxSetting``; apply acts on that directory and never looks at where a spec
/// file lies. Observing and dry-run only read: they never create a directory, take the state lock
/// or write a file. Each step's requests (service `sandbox` for the emulated cloud, `redis` for the
/// data plane) are built once by ``requests(for:in:)`` and carried out by ``send(_:for:in:)``.
package struct LocalProvider: Provider {
    package let name = "local"
    /// The plan setting that holds a migration's sandbox directory.
    package static let sandboxSetting = "sandbox"
    private let resolve: @Sendable (MigrationSpec) -> SandboxLayout
    private let worker: WorkerLauncher
    private let redisServer: String?
    /// How often long steps poll: the full sync and the idle gate.
    package var pollInterval: Duration = .milliseconds(500)
    /// How long `disconnect-sync` waits for the channel to apply what the source had written.
    package var drainTimeout: Duration = .seconds(60)

    /// - Parameters:
    ///   - sandboxFor: the sandbox directory of a migration, asked while observing only.
    ///   - worker: how channel workers are started.
    ///   - redisServer: the `redis-server` executable; found on `PATH` when nil.
    package init(
        sandboxFor: @escaping @Sendable (MigrationSpec) -> SandboxLayout,
        worker: WorkerLauncher = .currentExecutable(),
        redisServer: String? = nil
    ) {
        self.resolve = sandboxFor
        self.worker = worker
        self.redisServer = redisServer
    }

    /// A provider whose migrations all use the sandbox at `layout`.
    package init(layout: SandboxLayout, worker: WorkerLauncher = .currentExecutable(), redisServer: String? = nil) {
        self.init(sandboxFor: { _ in layout }, worker: worker, redisServer: redisServer)
    }

    /// The sandbox at `layout`.
    package func sandbox(at layout: SandboxLayout) -> Sandbox {
        Sandbox(layout: layout, worker: worker, redisServer: redisServer)
    }

    /// The sandbox the plan recorded for a step.
    func sandbox(for context: StepContext) throws -> Sandbox {
        guard let path = context.settings[Self.sandboxSetting] else {
            throw ProviderError(
                source: .local, code: "MissingSetting",
                message: "the plan does not say which sandbox migration \(context.migration) uses "
                    + "(setting \"\(Self.sandboxSetting)\"); run kvmove plan again with this version of kvmove")
        }
        return sandbox(at: SandboxLayout(root: URL(fileURLWithPath: path)))
    }

    // MARK: - Observe

    package func observe(_ specs: [MigrationSpec]) async throws -> [String: ObservedMigration] {
        var result: [String: ObservedMigration] = [:]
        var states: [URL: SandboxState] = [:]
        for spec in specs {
            let sandbox = sandbox(at: resolve(spec))
            let state: SandboxState
            if let known = states[sandbox.layout.root] {
                state = known
            } else {
                do {
                    state = try sandbox.store.read()
                } catch {
                    throw ProviderError(source: .local, code: "SandboxUnreadable", message: "\(error)")
                }
                states[sandbox.layout.root] = state
            }
            result[spec.name] = await observe(spec, in: sandbox, state: state)
        }
        return result
    }

    private func observe(_ spec: MigrationSpec, in sandbox: Sandbox, state: SandboxState) async -> ObservedMigration {
        let live = state.instances.filter(\.isLive)
        var seen = ObservedMigration(
            settings: [Self.sandboxSetting: sandbox.layout.root.path].merging(Self.settings(for: spec.connection)) {
                first, _ in first
            })
        if let source = live.first(where: { $0.id == spec.source.instanceId && $0.region == spec.source.region }) {
            seen.source = await observed(source, in: sandbox)
            if let groupId = source.groupId, let group = state.group(groupId) {
                seen.sourceGroup = observed(group)
            }
        }
        let target = live.first { $0.tags[Tags.migration] == spec.name }
        if let target { seen.target = await observed(target, in: sandbox) }
        if let conflict = live.first(where: {
            $0.region == spec.target.region && $0.name == spec.target.instanceName
                && $0.tags[Tags.migration] != spec.name
        }) {
            seen.nameConflict = await observed(conflict, in: sandbox)
        }
        let group = state.groups.first {
            $0.tags[Tags.migration] == spec.name || $0.name == spec.activeActive.name
        }
        seen.group = group.map(observed)
        seen.targetVPC =
            state.vpcs.first { $0.id == spec.target.vpcId && $0.region == spec.target.region }
            .map { ObservedVPC(id: $0.id, region: $0.region) }
        seen.targetVSwitch =
            state.vSwitches.first { $0.id == spec.target.vSwitchId }
            .map { ObservedVSwitch(id: $0.id, vpcId: $0.vpcId, zone: $0.zone) }
        if let target, let group, target.groupId == group.id {
            if let channel = group.channel, channel.target == target.id {
                var message = channel.message
                if channel.phase == .failed {
                    // The refusal the planner makes of a failed channel should say how to restart it here.
                    message =
                        "\(channel.message ?? "no reason given"); see \(sandbox.layout.workerLog(group.id).path); "
                        + "kvmove sandbox up restarts the channel"
                }
                seen.sync = ObservedSync(phase: channel.phase, progress: min(1, channel.progress), message: message)
            } else {
                seen.sync = ObservedSync(phase: .initializing, progress: 0, message: "the channel has not started")
            }
        }
        seen.channelRisks = [
            ObservedMigration.generalChannelRiskPrefix
                + "replicates the source with PSYNC; a source that refuses PSYNC is copied once with SCAN + "
                + "DUMP/RESTORE instead, and writes made after that copy are not carried (sandbox status says so)"
        ]
        if let group, group.channel?.channelPhase == ChannelRecord.scanCopyPhase {
            seen.channelRisks.append(
                "the source refused PSYNC, so its data was copied once: writes made on the source since that copy "
                    + "are not on the target; stop writing to the source and verify again before the cutover")
        }
        seen.verification = state.verifications[spec.name].map {
            ObservedVerification(passed: $0.passed, at: $0.at, summary: $0.summary)
        }
        return seen
    }

    private func observed(_ record: InstanceRecord, in sandbox: Sandbox) async -> ObservedInstance {
        ObservedInstance(
            id: record.id, name: record.name, region: record.region, zone: record.zone, vpcId: record.vpcId,
            vSwitchId: record.vSwitchId, status: await sandbox.status(of: record),
            instanceClass: record.instanceClass, engineVersion: record.engineVersion,
            minorVersion: record.minorVersion, syncCapable: LocalSandbox.isSyncCapable(record.minorVersion),
            billing: record.billing, groupId: record.groupId, tags: record.tags
        )
    }

    private func observed(_ group: GroupRecord) -> ObservedGroup {
        ObservedGroup(id: group.id, name: group.name, members: group.members, tags: group.tags)
    }
}
