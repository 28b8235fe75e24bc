/// Turns desired migrations and observed state into an ordered plan.
///
/// Pure: no I/O, no clock.
package struct Planner: Sendable {
    package var toolVersion: String

    package init(toolVersion: String) {
        self.toolVersion = toolVersion
    }

    /// Plans every migration.
    ///
    /// - Parameters:
    ///   - specs: the desired migrations.
    ///   - observed: what the providers saw, keyed by migration name.
    ///   - createdAt: the timestamp to stamp on the plan (display only).
    /// - Returns: the plan, migrations in name order.
    /// - Throws: ``PlanningError`` with every refusal of every migration.
    package func plan(
        _ specs: [MigrationSpec],
        observed: [String: ObservedMigration],
        createdAt: String
    ) throws(PlanningError) -> Plan {
        var refusals: [Refusal] = []
        var plans: [MigrationPlan] = []
        for spec in specs.sorted(by: { $0.name < $1.name }) {
            let seen = observed[spec.name] ?? ObservedMigration()
            var planner = MigrationPlanner(spec: spec, observed: seen)
            let result = planner.run()
            refusals += planner.refusals
            if planner.refusals.isEmpty { plans.append(result) }
        }
        if !refusals.isEmpty { throw PlanningError(refusals) }
        return Plan(toolVersion: toolVersion, createdAt: createdAt, migrations: plans)
    }

    /// Derives how far a migration has got from what is observed.
    package static func observedStage(of observed: ObservedMigration) -> ObservedStage {
        guard let target = observed.target else { return .notStarted }
        if let groupId = target.groupId, groupId == observed.group?.id || observed.group == nil {
            return .syncing
        }
        if observed.source == nil && observed.group == nil { return .completed }
        return .cutOver
    }
}

/// Plans one migration; collects refusals instead of stopping at the first.
struct MigrationPlanner {
    let spec: MigrationSpec
    let observed: ObservedMigration
    var refusals: [Refusal] = []
    var warnings: [String] = []
    var steps: [Step] = []

    init(spec: MigrationSpec, observed: ObservedMigration) {
        self.spec = spec
        self.observed = observed
    }

    var name: String { spec.name }

    mutating func refuse(_ code: Refusal.Code, _ message: String, at path: String) {
        refusals.append(
            Refusal(migration: name, code: code, message: message, location: spec.locations.location(of: path))
        )
    }

    mutating func run() -> MigrationPlan {
        let stage = Planner.observedStage(of: observed)
        checkInputs()
        checkStage(stage)
        if stage == .notStarted || stage == .syncing { checkSource(stage) }
        if stage == .notStarted { checkNetwork() } else { checkExistingTarget() }
        if stage != .notStarted || observed.target == nil { checkGroupRoom() }
        checkRelease()
        if refusals.isEmpty { planSteps(stage) }
        warnings += observed.notes
        return MigrationPlan(
            spec: spec,
            observedStage: stage,
            resources: KnownResources(
                sourceId: observed.source?.id ?? spec.source.instanceId,
                groupId: observed.group?.id,
                targetId: observed.target?.id
            ),
            steps: steps,
            warnings: warnings,
            facts: observed.facts,
            settings: observed.settings
        )
    }

    // MARK: - Steps

    mutating func add(_ step: Step) {
        if let unsupported = observed.unsupportedSteps[step.kind.rawValue] {
            refuse(.stepUnsupportedHere, "\(step.kind.rawValue): \(unsupported.message)", at: unsupported.specPath)
            return
        }
        var step = step
        if let last = steps.last(where: { ![StepKind.renameTarget, .changeTargetBilling].contains($0.kind) }),
            ![StepKind.renameTarget, .changeTargetBilling].contains(step.kind)
        {
            step.dependsOn = [last.id]
        }
        steps.append(step)
    }

    mutating func planSteps(_ stage: ObservedStage) {
        let source = observed.source
        let sourceId = source?.id ?? spec.source.instanceId
        let inSync = stage == .notStarted || stage == .syncing

        if stage == .notStarted, let source, !source.syncCapable {
            add(
                Step(
                    migration: name,
                    kind: .upgradeSourceMinorVersion,
                    address: "\(name).source",
                    resourceType: "instance",
                    resourceId: source.id,
                    before: ["minor_version": source.minorVersion],
                    after: ["minor_version": "latest"],
                    planned: .upgradeMinorVersion(
                        PlannedMinorVersionUpgrade(instanceId: source.id, fromMinorVersion: source.minorVersion)),
                    reasons: ["minor version \(source.minorVersion) cannot run the sync channel"],
                    risks: [
                        "clients of \(source.id) see a flash disconnect of up to 5 s and up to 30 s of read-only "
                            + "time while the minor version is upgraded; applications must reconnect"
                    ]
                )
            )
        }
        if stage == .notStarted, observed.group == nil {
            add(
                Step(
                    migration: name,
                    kind: .createGroup,
                    address: "\(name).group",
                    resourceType: "group",
                    after: ["name": spec.activeActive.name, "members": sourceId],
                    planned: .group(
                        PlannedGroup(
                            name: spec.activeActive.name, seedInstanceId: sourceId, region: spec.source.region,
                            tags: [Tags.migration: name])),
                    afterUnknown: ["id"],
                    reasons: ["no active-active group exists for this migration"],
                    risks: ["the source becomes the group's first member; it stays readable and writable"]
                )
            )
        }
        if let target = observed.target {
            planDrift(target)
        } else if let source {
            add(
                Step(
                    migration: name,
                    kind: .createTarget,
                    address: "\(name).target",
                    resourceType: "instance",
                    after: [
                        "name": spec.target.instanceName,
                        "region": spec.target.region,
                        "zone": spec.target.zone,
                        "vpc_id": spec.target.vpcId,
                        "vswitch_id": spec.target.vSwitchId,
                        "instance_class": source.instanceClass,
                        "engine_version": source.engineVersion,
                        "shards": source.shardCount.map(String.init) ?? "none (standard)",
                        "billing": spec.target.billing.summary,
                        "group": observed.group?.id ?? "(known after apply)",
                        "tags": "\(Tags.migration)=\(name)",
                    ],
                    planned: .target(
                        PlannedTarget(
                            name: spec.target.instanceName, region: spec.target.region, zone: spec.target.zone,
                            vpcId: spec.target.vpcId, vSwitchId: spec.target.vSwitchId, billing: spec.target.billing,
                            instanceClass: source.instanceClass, engineVersion: source.engineVersion,
                            shardCount: source.shardCount, sourceInstanceId: source.id, groupId: observed.group?.id,
                            tags: [Tags.migration: name])),
                    afterUnknown: ["id", "endpoint"],
                    reasons: ["no instance tagged \(Tags.migration)=\(name) exists in \(spec.target.region)"],
                    risks: [
                        "initialization clones the source and runs a full sync; it adds load on the source"
                    ] + observed.channelRisks + billingRisks(spec.target.billing)
                )
            )
        }
        planSecurityIps()
        guard inSync else {
            planRelease(stage)
            return
        }
        let targetAddress = "\(name).target"
        if observed.sync?.phase != .synchronized {
            let progress = observed.sync?.progress.map { " (now \(Int(($0 * 100).rounded()))%)" } ?? ""
            add(
                Step(
                    migration: name,
                    kind: .waitFullSync,
                    address: targetAddress,
                    resourceType: "instance",
                    resourceId: observed.target?.id,
                    planned: .fullSync(
                        PlannedFullSync(
                            sourceInstanceId: sourceId, targetInstanceId: observed.target?.id,
                            groupId: observed.group?.id, connection: spec.connection)),
                    reasons: ["initialization (clone + full sync) has not finished\(progress)"],
                    risks: observed.target == nil ? [] : observed.channelRisks
                )
            )
        }
        if observed.verification?.passed != true {
            let why =
                observed.verification.map { "the last verification (\($0.at)) failed: \($0.summary)" }
                ?? "the target's data has not been verified against the source"
            add(
                Step(
                    migration: name,
                    kind: .verifyData,
                    address: targetAddress,
                    resourceType: "instance",
                    resourceId: observed.target?.id,
                    planned: .verification(
                        PlannedVerification(
                            sourceInstanceId: sourceId, targetInstanceId: observed.target?.id,
                            connection: spec.connection, verify: spec.verify)),
                    reasons: [why],
                    risks: [(spec.verify ?? VerifySpec()).riskNote]
                )
            )
        }
        guard spec.stage >= .cutover else { return }
        if !spec.cutover.isEmpty {
            var reasons: [String] = []
            var risks: [String] = []
            if let seconds = spec.cutover.requireIdleSourceSeconds {
                reasons.append("stage cutover requires the source to be idle for \(formatSeconds(seconds))")
                risks.append("waits until no client but kvmove has been connected to the source for that long")
            }
            if let seconds = spec.cutover.requireNoSourceWritesSeconds {
                reasons.append(
                    "stage cutover requires no application writes on the source for \(formatSeconds(seconds))")
                risks.append(
                    "waits until no write but the channel's own has reached the source for that long (keys expiring "
                        + "on the source count as writes)")
            }
            if let seconds = spec.cutover.maxLagSeconds {
                reasons.append("stage cutover requires the channel to be less than \(formatSeconds(seconds)) behind")
                risks.append("waits until the target is less than that far behind the source in three samples in a row")
            }
            add(
                Step(
                    migration: name,
                    kind: .checkCutoverGates,
                    address: "\(name).source",
                    resourceType: "instance",
                    resourceId: sourceId,
                    planned: .gates(
                        PlannedGates(
                            sourceInstanceId: sourceId, targetInstanceId: observed.target?.id,
                            requireIdleSourceSeconds: spec.cutover.requireIdleSourceSeconds,
                            maxLagSeconds: spec.cutover.maxLagSeconds,
                            requireNoSourceWritesSeconds: spec.cutover.requireNoSourceWritesSeconds,
                            connection: spec.connection)),
                    reasons: reasons,
                    risks: risks
                )
            )
        }
        add(
            Step(
                migration: name,
                kind: .disconnectSync,
                address: targetAddress,
                resourceType: "instance",
                resourceId: observed.target?.id,
                before: ["group": observed.group?.id ?? "(known after apply)"],
                after: ["group": "none"],
                planned: .disconnect(
                    PlannedDisconnect(targetInstanceId: observed.target?.id, groupId: observed.group?.id)),
                reasons: ["stage \(spec.stage.rawValue) needs the target to stand alone"],
                risks: [
                    "until this step both members take writes and each one's reach the other, so applications can "
                        + "move to the target gradually and move back; after it, writes to the source are no longer "
                        + "copied to the target, nor the target's to the source: switch all traffic to the target first"
                ] + observed.channelRisks.filter { !$0.hasPrefix(ObservedMigration.generalChannelRiskPrefix) }
            )
        )
        planRelease(stage)
    }

    mutating func planDrift(_ target: ObservedInstance) {
        if target.name != spec.target.instanceName {
            add(
                Step(
                    migration: name,
                    kind: .renameTarget,
                    address: "\(name).target",
                    resourceType: "instance",
                    resourceId: target.id,
                    before: ["name": target.name],
                    after: ["name": spec.target.instanceName],
                    planned: .rename(PlannedRename(instanceId: target.id, name: spec.target.instanceName)),
                    reasons: ["the target's name differs from spec.target.instanceName"]
                )
            )
        }
        if target.billing != spec.target.billing {
            if case .prePaid(let months?, _) = spec.target.billing, !Billing.changePeriods.contains(months) {
                refuse(
                    .billingPeriodNotForChange,
                    "target \(target.id) exists and would change to PrePaid for \(months) months, but a change of "
                        + "billing takes a period of "
                        + Billing.changePeriods.map(String.init).joined(separator: ", ")
                        + " months (\(months) is available only when an instance is created); choose one of those",
                    at: "spec.target.billing.periodMonths"
                )
                return
            }
            add(
                Step(
                    migration: name,
                    kind: .changeTargetBilling,
                    address: "\(name).target",
                    resourceType: "instance",
                    resourceId: target.id,
                    before: ["billing": target.billing.summary],
                    after: ["billing": spec.target.billing.summary],
                    planned: .billing(PlannedBillingChange(instanceId: target.id, billing: spec.target.billing)),
                    reasons: ["the target's billing differs from spec.target.billing"],
                    risks: billingRisks(spec.target.billing)
                )
            )
        }
    }

    mutating func planRelease(_ stage: ObservedStage) {
        guard spec.stage == .complete else { return }
        var keptSource = false
        if let source = observed.source, case .prePaid = source.billing, spec.source.whenPrePaid == .keep {
            keptSource = true
            warnings.append(
                "source \(source.id) is on subscription (PrePaid) billing and spec.source.whenPrePaid is keep: it is not "
                    + "released and keeps running (and costing) until its subscription ends; release it in the console "
                    + "then, or set whenPrePaid: convertToPostPaid")
        }
        if let source = observed.source, !keptSource {
            var risks = [
                "the source instance and all its data are deleted; the target keeps its own copy"
            ]
            var convert: Bool? = nil
            if case .prePaid = source.billing, spec.source.whenPrePaid == .convertToPostPaid {
                convert = true
                risks.append(
                    "the PrePaid source is first converted to pay-as-you-go; the unused part of its subscription is "
                        + "refunded (paid minus consumed; coupons are not refunded)")
            }
            add(
                Step(
                    migration: name,
                    kind: .releaseSource,
                    address: "\(name).source",
                    resourceType: "instance",
                    resourceId: source.id,
                    before: ["name": source.name, "zone": source.zone, "vpc_id": source.vpcId],
                    planned: .releaseInstance(
                        PlannedInstanceRelease(
                            instanceId: source.id, groupId: source.groupId, convertToPostPaid: convert,
                            inPlannedGroup: source.groupId == nil && steps.contains { $0.kind == .createGroup }
                                ? true : nil)),
                    reasons: ["stage complete releases the source after cutover"],
                    risks: risks,
                    destroysData: true
                )
            )
        }
        let groupPlanned = steps.contains { $0.kind == .createGroup }
        if observed.group != nil || groupPlanned {
            let group = observed.group
            add(
                Step(
                    migration: name,
                    kind: .releaseGroup,
                    address: "\(name).group",
                    resourceType: "group",
                    resourceId: group?.id,
                    before: [
                        "name": group?.name ?? spec.activeActive.name,
                        "members": group?.members.joined(separator: ",") ?? "(known after apply)",
                    ],
                    planned: .releaseGroup(PlannedGroupRelease(groupId: group?.id, name: spec.activeActive.name)),
                    reasons: ["stage complete releases the active-active group"]
                )
            )
        }
    }

    func billingRisks(_ billing: Billing) -> [String] {
        if case .prePaid(let months?, _) = billing {
            return ["creates a subscription order for \(months) month\(months == 1 ? "" : "s")"]
        }
        return []
    }
}

/// Formats seconds the way specs write durations: `30s`, `5m`, `1h30m`.
package func formatSeconds(_ seconds: Int) -> String {
    if seconds < 60 { return "\(seconds)s" }
    let h = seconds / 3600
    let m = (seconds % 3600) / 60
    let s = seconds % 60
    var out = ""
    if h > 0 { out += "\(h)h" }
    if m > 0 { out += "\(m)m" }
    if s > 0 { out += "\(s)s" }
    return out
}
