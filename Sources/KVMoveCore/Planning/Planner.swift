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
private struct MigrationPlanner {
    let spec: MigrationSpec
    let observed: ObservedMigration
    var refusals: [Refusal] = []
    var warnings: [String] = []
    var steps: [Step] = []

    init(spec: MigrationSpec, observed: ObservedMigration) {
        self.spec = spec
        self.observed = observed
    }

    private var name: String { spec.name }

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

    // MARK: - Refusals

    mutating func checkInputs() {
        if case .prePaid(nil, _) = spec.target.billing {
            refuse(
                .prePaidWithoutPeriod,
                "billing type PrePaid needs a period; add periodMonths (one of "
                    + Billing.allowedPeriods.map(String.init).joined(separator: ", ")
                    + ") or use type: PostPaid",
                at: "spec.target.billing"
            )
        }
    }

    mutating func checkStage(_ stage: ObservedStage) {
        guard let reached = stage.reached, spec.stage < reached else { return }
        let what =
            reached == .complete
            ? "the source and the group were already released"
            : "sync was already disconnected and the target stands alone"
        refuse(
            .stageRegression,
            "stage \"\(spec.stage.rawValue)\" would go backwards: \(what) (observed stage \"\(reached.rawValue)\"). "
                + "Going back would need a new group and a full resync over the target's data; "
                + "set stage: \(reached.rawValue) (or later), or start a new migration with a new name",
            at: "spec.stage"
        )
    }

    mutating func checkSource(_ stage: ObservedStage) {
        guard let source = observed.source else {
            refuse(
                .sourceNotFound,
                "source instance \(spec.source.instanceId) was not found in region \(spec.source.region); "
                    + "check spec.source.instanceId and spec.source.region",
                at: "spec.source.instanceId"
            )
            return
        }
        if let bound = observed.sourceGroup, bound.id != observed.group?.id {
            refuse(
                .sourceAlreadyBound,
                "Source InstanceId already bound to a replica: \(source.id) is a member of group \(bound.id) "
                    + "(\"\(bound.name)\"), which this migration did not create; remove it from that group first, "
                    + "or set activeActive.name to \"\(bound.name)\" if that group is meant for this migration",
                at: "spec.source.instanceId"
            )
        }
        if stage == .notStarted, source.region == spec.target.region, source.zone == spec.target.zone {
            refuse(
                .targetZoneEqualsSource,
                "target zone \(spec.target.zone) is the source's zone; members of an active-active group must be "
                    + "in different zones: pick another zone (and a vSwitch in it)",
                at: "spec.target.zone"
            )
        }
        if stage == .notStarted, observed.sourceGroup == nil, let reason = source.groupIneligibility {
            refuse(.sourceCannotJoinGroup, reason, at: "spec.source.instanceId")
        }
        if source.status != "Normal" {
            warnings.append(
                "source \(source.id) is \(source.status), not Normal; steps on it may be refused until it is Normal again"
            )
        }
    }

    mutating func checkNetwork() {
        if let conflict = observed.nameConflict {
            refuse(
                .targetNameTaken,
                "target name \"\(spec.target.instanceName)\" is taken by \(conflict.id), which kvmove did not create "
                    + "for this migration; choose another spec.target.instanceName, or rename that instance",
                at: "spec.target.instanceName"
            )
        }
        guard let vpc = observed.targetVPC else {
            refuse(
                .vpcNotFound,
                "VPC \(spec.target.vpcId) was not found in region \(spec.target.region); check spec.target.vpcId",
                at: "spec.target.vpcId"
            )
            return
        }
        guard let vSwitch = observed.targetVSwitch else {
            refuse(
                .vSwitchNotFound,
                "vSwitch \(spec.target.vSwitchId) was not found in region \(spec.target.region); "
                    + "check spec.target.vSwitchId",
                at: "spec.target.vSwitchId"
            )
            return
        }
        if vSwitch.vpcId != vpc.id {
            refuse(
                .vSwitchNotInVPC,
                "vSwitch \(vSwitch.id) belongs to \(vSwitch.vpcId), not to \(vpc.id); pick a vSwitch of \(vpc.id)",
                at: "spec.target.vSwitchId"
            )
        }
        if vSwitch.zone != spec.target.zone {
            refuse(
                .vSwitchNotInZone,
                "vSwitch \(vSwitch.id) is in zone \(vSwitch.zone), not in \(spec.target.zone); "
                    + "pick a vSwitch in \(spec.target.zone) or set zone: \(vSwitch.zone)",
                at: "spec.target.vSwitchId"
            )
        }
    }

    /// A group that has no room for the target, or a member already in the target's zone.
    mutating func checkGroupRoom() {
        guard observed.target == nil, let group = observed.group else { return }
        if let limit = group.memberLimit, group.members.count >= limit {
            refuse(
                .groupFull,
                "group \(group.id) already has \(group.members.count) members, the most it may have (\(limit)); "
                    + "remove a member that is no longer needed from the group, then plan again",
                at: "spec.activeActive.name"
            )
        }
        let sourceId = observed.source?.id
        for (member, zone) in (group.memberZones ?? [:]).sorted(by: { $0.key < $1.key })
        where member != sourceId && zone == spec.target.zone {
            refuse(
                .targetZoneUsedByMember,
                "target zone \(zone) is already used by \(member), a member of group \(group.id); members must be "
                    + "in different zones: pick another zone (and a vSwitch in it)",
                at: "spec.target.zone"
            )
        }
    }

    /// A PrePaid source at `stage: complete` needs the spec to say what to do with it.
    mutating func checkRelease() {
        guard spec.stage == .complete, let source = observed.source, case .prePaid = source.billing,
            spec.source.whenPrePaid == nil
        else { return }
        refuse(
            .prePaidSourceRelease,
            "source \(source.id) is on subscription (PrePaid) billing, which cannot be released through the API; "
                + "set spec.source.whenPrePaid: convertToPostPaid to convert it to pay-as-you-go and release it "
                + "(the unused part of the subscription is refunded: paid minus consumed, coupons are not refunded), "
                + "or spec.source.whenPrePaid: keep to leave it running until it expires",
            at: "spec.source.instanceId"
        )
    }

    mutating func checkExistingTarget() {
        guard let target = observed.target else { return }
        if let source = observed.source, target.groupId != nil, target.groupId == observed.group?.id {
            var pairs: [(String, String, String)] = [
                ("class", target.instanceClass, source.instanceClass),
                ("engine version", target.engineVersion, source.engineVersion),
            ]
            // A provider may report shards for some instances only (the class then fixes them): compare the
            // counts where both are reported.
            if let mine = target.shardCount, let theirs = source.shardCount {
                pairs.append(("shard count", String(mine), String(theirs)))
            }
            for (what, mine, theirs) in pairs where mine != theirs {
                refuse(
                    .targetSpecDiffers,
                    "target \(target.id) has \(what) \(mine) but the source has \(theirs); members of a group must "
                        + "match. Change the one that differs back (or release the target and plan again)",
                    at: "spec.target.instanceName"
                )
            }
        }
        if let conflict = observed.nameConflict, target.name != spec.target.instanceName {
            refuse(
                .targetNameTaken,
                "cannot rename \(target.id) to \"\(spec.target.instanceName)\": the name is taken by \(conflict.id), "
                    + "which kvmove did not create for this migration",
                at: "spec.target.instanceName"
            )
        }
        let placed: [(String, String, String)] = [
            ("region", target.region, spec.target.region),
            ("zone", target.zone, spec.target.zone),
            ("vpcId", target.vpcId, spec.target.vpcId),
            ("vSwitchId", target.vSwitchId, spec.target.vSwitchId),
        ]
        for (field, now, wanted) in placed where now != wanted {
            refuse(
                .wouldDestroyTarget,
                "target \(target.id) already exists with \(field) \(now); changing it to \(wanted) would mean "
                    + "releasing the target and its data and creating a new one. Set \(field): \(now) again; to move "
                    + "the target as well, finish this migration and start a new one from it",
                at: "spec.target.\(field)"
            )
        }
        if let sync = observed.sync, sync.phase == .failed {
            refuse(
                .syncFailed,
                "the sync channel into \(target.id) failed (\(sync.message ?? "no reason given")); "
                    + "fix the cause, then run apply again",
                at: "spec.activeActive.name"
            )
        }
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

    /// The whitelist groups the spec names, set on the target right after it exists (before the full sync ends),
    /// and again whenever one drifts; a note of the groups the target will have; a warning when none of them
    /// lets the target vSwitch's addresses in.
    mutating func planSecurityIps() {
        let target = observed.target
        // What the target has, or (before it exists) what it gets at creation: a copy of the source's groups.
        guard let current = target?.securityIps ?? (target == nil ? observed.source?.securityIps : nil) else {
            if target == nil, let groups = spec.target.securityIps {
                addSecurityIps(groups, before: [:])
            }
            return
        }
        let wanted = spec.target.securityIps ?? [:]
        let drifted = wanted.filter { name, ips in current[name].map(Set.init) != Set(ips) }
        if target == nil {
            let cloned = current.keys.sorted().map { "\($0) = \(current[$0]?.joined(separator: ",") ?? "")" }
            if let index = steps.lastIndex(where: { $0.kind == .createTarget }) {
                steps[index].risks.append(
                    "the target's whitelist groups are copied from the source when it is created: "
                        + (cloned.isEmpty ? "none" : cloned.joined(separator: "; "))
                        + (wanted.isEmpty ? "" : "; then the groups in spec.target.securityIps are set"))
            }
        }
        if !drifted.isEmpty { addSecurityIps(drifted, before: current) }
        let effective = current.merging(wanted) { $1 }
        if let vSwitch = observed.targetVSwitch, let cidr = vSwitch.cidrBlock, let block = IPv4Block(cidr),
            !effective.values.joined().compactMap(IPv4Block.init).contains(where: { $0.contains(block) })
        {
            warnings.append(
                "none of the target's whitelist groups (\(effective.keys.sorted().joined(separator: ", "))) covers "
                    + "vSwitch \(vSwitch.id) (\(cidr)): applications in \(spec.target.vpcId) cannot connect to the "
                    + "target; add a group for them in spec.target.securityIps, for example { app: [\(cidr)] }")
        }
    }

    private mutating func addSecurityIps(_ groups: [String: [String]], before: [String: [String]]) {
        let shown = groups.keys.sorted()
        add(
            Step(
                migration: name,
                kind: .setTargetSecurityIps,
                address: "\(name).target",
                resourceType: "instance",
                resourceId: observed.target?.id,
                before: Dictionary(
                    uniqueKeysWithValues: shown.compactMap { key in before[key].map { (key, $0.joined(separator: ",")) }
                    }
                ),
                after: Dictionary(uniqueKeysWithValues: shown.map { ($0, groups[$0]?.joined(separator: ",") ?? "") }),
                planned: .securityIps(PlannedSecurityIps(instanceId: observed.target?.id, groups: groups)),
                reasons: [
                    observed.target == nil
                        ? "spec.target.securityIps names whitelist groups for the new target"
                        : "the target's whitelist groups \(shown.joined(separator: ", ")) differ from spec.target.securityIps"
                ],
                risks: [
                    "only the groups named are changed, each to exactly its list; other groups are left as they are"
                ]
            )
        )
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
