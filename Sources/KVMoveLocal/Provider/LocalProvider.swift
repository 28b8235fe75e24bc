import Foundation
import KVMoveCore

/// The `local` provider: migrations between instances of a sandbox on this machine.
///
/// It answers like the cloud's API where kvmove cares (the same observations and call shapes as
/// `FakeProvider` in the test support module) but for real: instances are `redis-server`
/// processes, a group's sync channel is a background worker process, verification compares
/// the data key by key, and the idle gate watches real client connections.
///
/// Each migration's sandbox is resolved from its spec, so specs in different directories can
/// use different sandboxes in one run. Observing and dry-run only read: they never create a
/// directory, take the state lock or write a file.
package struct LocalProvider: Provider {
    package let name = "local"
    private let resolve: @Sendable (MigrationSpec) -> Sandbox
    /// How often long steps poll: the full sync and the idle gate.
    package var pollInterval: Duration = .milliseconds(500)

    /// - Parameters:
    ///   - sandboxFor: the sandbox directory of a migration.
    ///   - worker: how channel workers are started.
    ///   - redisServer: the `redis-server` executable; found on `PATH` when nil.
    package init(
        sandboxFor: @escaping @Sendable (MigrationSpec) -> SandboxLayout,
        worker: WorkerLauncher = .currentExecutable(),
        redisServer: String? = nil
    ) {
        resolve = { Sandbox(layout: sandboxFor($0), worker: worker, redisServer: redisServer) }
    }

    /// A provider whose migrations all use the sandbox at `layout`.
    package init(layout: SandboxLayout, worker: WorkerLauncher = .currentExecutable(), redisServer: String? = nil) {
        self.init(sandboxFor: { _ in layout }, worker: worker, redisServer: redisServer)
    }

    /// The sandbox `spec` uses.
    package func sandbox(for spec: MigrationSpec) -> Sandbox { resolve(spec) }

    // MARK: - Observe

    package func observe(_ spec: MigrationSpec) async throws -> ObservedMigration {
        let sandbox = sandbox(for: spec)
        let state = try sandbox.store.read()
        let live = state.instances.filter(\.isLive)
        var seen = ObservedMigration()
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

    // MARK: - Dry-run

    package func calls(for step: Step, in context: StepContext) -> [ProviderCall] {
        CloudCalls.calls(for: step, in: context)
    }
}
