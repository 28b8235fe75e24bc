import KVMoveCore
import KVMoveTestSupport
import Testing

/// Builders for observed states at each point of a migration.
enum Observed {
    static let source = ObservedInstance(
        id: "r-bp1zxszhcgatnx0001", name: "orders-cache-old", region: "cn-hangzhou", zone: "cn-hangzhou-g",
        vpcId: "vpc-bp1old0001", vSwitchId: "vsw-bp1old0001", instanceClass: "redis.master.small.default",
        engineVersion: "7.0", minorVersion: "7.0.2.6"
    )
    static let group = ObservedGroup(
        id: "gr-1", name: "orders-cache-aa", members: [source.id], tags: [Tags.migration: "orders-cache"]
    )
    static var target: ObservedInstance {
        var t = source
        t.id = "r-target1"
        t.name = "orders-cache"
        t.zone = "cn-hangzhou-h"
        t.vpcId = "vpc-bp1app0001"
        t.vSwitchId = "vsw-bp1app0001"
        t.tags = [Tags.migration: "orders-cache"]
        t.groupId = "gr-1"
        return t
    }
    static let network: (ObservedVPC, ObservedVSwitch) = (
        ObservedVPC(id: "vpc-bp1app0001", region: "cn-hangzhou"),
        ObservedVSwitch(id: "vsw-bp1app0001", vpcId: "vpc-bp1app0001", zone: "cn-hangzhou-h")
    )

    static func fresh(capable: Bool = true) -> ObservedMigration {
        var s = source
        s.syncCapable = capable
        if !capable { s.minorVersion = "7.0.1.3" }
        return ObservedMigration(source: s, targetVPC: network.0, targetVSwitch: network.1)
    }

    static func groupOnly() -> ObservedMigration {
        var o = fresh()
        o.source?.groupId = group.id
        o.sourceGroup = group
        o.group = group
        return o
    }

    static func syncing(progress: Double, verified: Bool? = nil) -> ObservedMigration {
        var o = groupOnly()
        o.group?.members.append(target.id)
        o.sourceGroup = o.group
        o.target = target
        o.sync = ObservedSync(phase: progress >= 1 ? .synchronized : .initializing, progress: progress)
        if let verified {
            o.verification = ObservedVerification(passed: verified, at: "2026-11-24T10:00:00Z", summary: "x")
        }
        return o
    }

    static func cutOver(groupLeft: Bool = true) -> ObservedMigration {
        var o = syncing(progress: 1, verified: true)
        o.target?.groupId = nil
        o.sync = nil
        o.group?.members = [source.id]
        o.sourceGroup = o.group
        if !groupLeft {
            o.group = nil
            o.sourceGroup = nil
            o.source?.groupId = nil
        }
        return o
    }

    static func completed() -> ObservedMigration {
        var o = cutOver()
        o.source = nil
        o.group = nil
        o.sourceGroup = nil
        return o
    }
}

struct PlannerTests {
    let planner = Planner(toolVersion: "test")

    func kinds(_ spec: MigrationSpec, _ observed: ObservedMigration) throws -> [StepKind] {
        try planner.plan([spec], observed: [spec.name: observed], createdAt: "t").steps.map(\.kind)
    }

    struct StepCase: CustomTestStringConvertible, Sendable {
        var label: String
        var spec: MigrationSpec
        var observed: ObservedMigration
        var expected: [StepKind]
        var testDescription: String { label }
    }

    /// A migration whose spec names whitelist groups.
    static func whitelisted(_ groups: [String: [String]], stage: Stage = .sync) -> MigrationSpec {
        var spec = SpecFixtures.spec(stage: stage)
        spec.target.securityIps = groups
        return spec
    }

    static let stepCases: [StepCase] = [
        StepCase(
            label: "fresh, whitelist groups named", spec: whitelisted(["app": ["172.16.0.0/16"]]),
            observed: Observed.fresh(),
            expected: [.createGroup, .createTarget, .setTargetSecurityIps, .waitFullSync, .verifyData]
        ),
        StepCase(
            label: "a whitelist group drifted on a cut-over target",
            spec: whitelisted(["app": ["172.16.0.0/16"]], stage: .cutover),
            observed: {
                var o = Observed.cutOver()
                o.target?.securityIps = ["default": ["127.0.0.1"], "app": ["10.0.0.1"]]
                return o
            }(),
            expected: [.setTargetSecurityIps]
        ),
        StepCase(
            label: "whitelist groups as the spec says (order aside)",
            spec: whitelisted(["app": ["172.16.0.0/16", "10.0.0.1"]], stage: .cutover),
            observed: {
                var o = Observed.cutOver()
                o.target?.securityIps = ["default": ["127.0.0.1"], "app": ["10.0.0.1", "172.16.0.0/16"]]
                return o
            }(),
            expected: []
        ),
        StepCase(
            label: "fresh, stage sync", spec: SpecFixtures.spec(), observed: Observed.fresh(),
            expected: [.createGroup, .createTarget, .waitFullSync, .verifyData]
        ),
        StepCase(
            label: "fresh, old minor version", spec: SpecFixtures.spec(), observed: Observed.fresh(capable: false),
            expected: [.upgradeSourceMinorVersion, .createGroup, .createTarget, .waitFullSync, .verifyData]
        ),
        StepCase(
            label: "fresh, stage cutover with gate", spec: SpecFixtures.spec(stage: .cutover, idleSeconds: 30),
            observed: Observed.fresh(),
            expected: [.createGroup, .createTarget, .waitFullSync, .verifyData, .checkCutoverGates, .disconnectSync]
        ),
        StepCase(
            label: "fresh, stage cutover without gate", spec: SpecFixtures.spec(stage: .cutover),
            observed: Observed.fresh(),
            expected: [.createGroup, .createTarget, .waitFullSync, .verifyData, .disconnectSync]
        ),
        StepCase(
            label: "fresh, stage complete", spec: SpecFixtures.spec(stage: .complete), observed: Observed.fresh(),
            expected: [
                .createGroup, .createTarget, .waitFullSync, .verifyData, .disconnectSync, .releaseSource, .releaseGroup,
            ]
        ),
        StepCase(
            label: "interrupted after the group was created", spec: SpecFixtures.spec(),
            observed: Observed.groupOnly(), expected: [.createTarget, .waitFullSync, .verifyData]
        ),
        StepCase(
            label: "full sync running", spec: SpecFixtures.spec(), observed: Observed.syncing(progress: 0.4),
            expected: [.waitFullSync, .verifyData]
        ),
        StepCase(
            label: "synchronized, not verified", spec: SpecFixtures.spec(), observed: Observed.syncing(progress: 1),
            expected: [.verifyData]
        ),
        StepCase(
            label: "synchronized, last verification failed", spec: SpecFixtures.spec(),
            observed: Observed.syncing(progress: 1, verified: false), expected: [.verifyData]
        ),
        StepCase(
            label: "stage sync converged", spec: SpecFixtures.spec(),
            observed: Observed.syncing(progress: 1, verified: true), expected: []
        ),
        StepCase(
            label: "sync reached, now cutover", spec: SpecFixtures.spec(stage: .cutover, idleSeconds: 30),
            observed: Observed.syncing(progress: 1, verified: true), expected: [.checkCutoverGates, .disconnectSync]
        ),
        StepCase(
            label: "sync reached, now cutover with only a lag gate",
            spec: {
                var spec = SpecFixtures.spec(stage: .cutover)
                spec.cutover.maxLagSeconds = 1
                return spec
            }(),
            observed: Observed.syncing(progress: 1, verified: true), expected: [.checkCutoverGates, .disconnectSync]
        ),
        StepCase(
            label: "stage cutover converged", spec: SpecFixtures.spec(stage: .cutover, idleSeconds: 30),
            observed: Observed.cutOver(), expected: []
        ),
        StepCase(
            label: "cut over, now complete", spec: SpecFixtures.spec(stage: .complete), observed: Observed.cutOver(),
            expected: [.releaseSource, .releaseGroup]
        ),
        StepCase(
            label: "cut over, group already gone", spec: SpecFixtures.spec(stage: .complete),
            observed: Observed.cutOver(groupLeft: false), expected: [.releaseSource]
        ),
        StepCase(
            label: "stage complete converged", spec: SpecFixtures.spec(stage: .complete),
            observed: Observed.completed(), expected: []
        ),
        StepCase(
            label: "target renamed outside kvmove", spec: SpecFixtures.spec(instanceName: "orders-cache-new"),
            observed: Observed.syncing(progress: 1, verified: true), expected: [.renameTarget]
        ),
        StepCase(
            label: "target billing drifted",
            spec: SpecFixtures.spec(billing: .prePaid(periodMonths: 12, autoRenew: true)),
            observed: Observed.syncing(progress: 1, verified: true), expected: [.changeTargetBilling]
        ),
    ]

    @Test("a PrePaid source at complete is converted first, or kept with a notice, as the spec says")
    func prePaidSource() throws {
        var observed = Observed.cutOver()
        observed.source?.billing = .prePaid(periodMonths: nil, autoRenew: false)
        var convert = SpecFixtures.spec(stage: .complete)
        convert.source.whenPrePaid = .convertToPostPaid
        let converting = try planner.plan([convert], observed: [convert.name: observed], createdAt: "t")
        let release = try #require(converting.migrations.first?.steps.first { $0.kind == .releaseSource })
        guard case .releaseInstance(let planned) = release.planned else {
            Issue.record("expected release values")
            return
        }
        #expect(planned.convertToPostPaid == true)
        #expect(release.risks.contains { $0.contains("refunded") })
        var keep = convert
        keep.source.whenPrePaid = .keep
        let keeping = try planner.plan([keep], observed: [keep.name: observed], createdAt: "t")
        #expect(keeping.migrations.first?.steps.map(\.kind) == [.releaseGroup])
        #expect(keeping.migrations.first?.warnings.contains { $0.contains("keeps running") } == true)
    }

    @Test("the gates step carries both gates from the spec, with a reason for each")
    func gatesCarryIdleAndLag() throws {
        var spec = SpecFixtures.spec(stage: .cutover, idleSeconds: 30)
        spec.cutover.maxLagSeconds = 2
        let plan = try planner.plan(
            [spec], observed: [spec.name: Observed.syncing(progress: 1, verified: true)], createdAt: "t")
        let gates = try #require(plan.steps.first { $0.kind == .checkCutoverGates })
        guard case .gates(let planned) = gates.planned else {
            Issue.record("planned values of the gates step: \(gates.planned)")
            return
        }
        #expect(planned.requireIdleSourceSeconds == 30)
        #expect(planned.maxLagSeconds == 2)
        #expect(gates.reasons.count == 2)
        #expect(gates.reasons.last?.contains("less than 2s behind") == true)
    }

    @Test("plans exactly the steps still needed", arguments: stepCases)
    func steps(_ c: StepCase) throws {
        #expect(try kinds(c.spec, c.observed) == c.expected)
    }

    @Test("every step kind is covered by the decision table")
    func coverage() throws {
        var seen: Set<StepKind> = []
        for c in Self.stepCases { seen.formUnion(try kinds(c.spec, c.observed)) }
        #expect(seen == Set(StepKind.allCases))
    }

    struct RefusalCase: CustomTestStringConvertible, Sendable {
        var label: String
        var spec: MigrationSpec
        var observed: ObservedMigration
        var expected: Refusal.Code
        var path: String
        var message: String
        var testDescription: String { label }
    }

    static let refusalCases: [RefusalCase] = {
        var bound = Observed.fresh()
        let other = ObservedGroup(id: "gr-other", name: "someone-else", members: [Observed.source.id])
        bound.source?.groupId = other.id
        bound.sourceGroup = other
        var taken = Observed.fresh()
        taken.nameConflict = ObservedInstance(
            id: "r-someone", name: "orders-cache", region: "cn-hangzhou", zone: "cn-hangzhou-h", vpcId: "vpc-x",
            vSwitchId: "vsw-x", instanceClass: "c", engineVersion: "7.0", minorVersion: "7.0.2.6"
        )
        var noVPC = Observed.fresh()
        noVPC.targetVPC = nil
        var noVSwitch = Observed.fresh()
        noVSwitch.targetVSwitch = nil
        var wrongVPC = Observed.fresh()
        wrongVPC.targetVSwitch = ObservedVSwitch(id: "vsw-bp1app0001", vpcId: "vpc-other", zone: "cn-hangzhou-h")
        var failed = Observed.syncing(progress: 0.3)
        failed.sync = ObservedSync(phase: .failed, message: "source unreachable")
        var ineligible = Observed.fresh()
        ineligible.source?.groupIneligibility = "source r-x is a Redis Open-Source (Community) Edition instance"
        var full = Observed.groupOnly()
        full.group?.members += ["r-second", "r-third"]
        full.group?.memberLimit = 3
        full.sourceGroup = full.group
        var zoneUsed = Observed.groupOnly()
        zoneUsed.group?.members.append("r-second")
        zoneUsed.group?.memberZones = [Observed.source.id: "cn-hangzhou-g", "r-second": "cn-hangzhou-h"]
        zoneUsed.sourceGroup = zoneUsed.group
        var differs = Observed.syncing(progress: 1, verified: true)
        differs.target?.instanceClass = "redis.master.mid.default"
        var prePaid = Observed.cutOver()
        prePaid.source?.billing = .prePaid(periodMonths: nil, autoRenew: false)
        var siteless = Observed.fresh()
        siteless.unsupportedSteps[StepKind.createTarget.rawValue] = UnsupportedStep(
            message: "not on this site; add the child in the console", specPath: "spec.provider")
        return [
            RefusalCase(
                label: "a 60-month period for an existing target's change to PrePaid",
                spec: SpecFixtures.spec(billing: .prePaid(periodMonths: 60, autoRenew: false)),
                observed: Observed.syncing(progress: 1, verified: true), expected: .billingPeriodNotForChange,
                path: "spec.target.billing.periodMonths",
                message: "a change of billing takes a period of 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36 months"
            ),
            RefusalCase(
                label: "a step the provider cannot carry out here", spec: SpecFixtures.spec(), observed: siteless,
                expected: .stepUnsupportedHere, path: "spec.provider",
                message: "create-target: not on this site; add the child in the console"
            ),
            RefusalCase(
                label: "source cannot join a group", spec: SpecFixtures.spec(), observed: ineligible,
                expected: .sourceCannotJoinGroup, path: "spec.source.instanceId", message: "Community"
            ),
            RefusalCase(
                label: "group already has its most members", spec: SpecFixtures.spec(), observed: full,
                expected: .groupFull, path: "spec.activeActive.name", message: "already has 3 members"
            ),
            RefusalCase(
                label: "target zone used by another member", spec: SpecFixtures.spec(), observed: zoneUsed,
                expected: .targetZoneUsedByMember, path: "spec.target.zone", message: "already used by r-second"
            ),
            RefusalCase(
                label: "target class differs from the source", spec: SpecFixtures.spec(), observed: differs,
                expected: .targetSpecDiffers, path: "spec.target.instanceName",
                message: "has class redis.master.mid.default but the source has redis.master.small.default"
            ),
            RefusalCase(
                label: "PrePaid source at complete without a choice", spec: SpecFixtures.spec(stage: .complete),
                observed: prePaid, expected: .prePaidSourceRelease, path: "spec.source.instanceId",
                message: "set spec.source.whenPrePaid: convertToPostPaid"
            ),
            RefusalCase(
                label: "source not found", spec: SpecFixtures.spec(sourceId: "r-missing"),
                observed: ObservedMigration(targetVPC: Observed.network.0, targetVSwitch: Observed.network.1),
                expected: .sourceNotFound, path: "spec.source.instanceId",
                message: "source instance r-missing was not found in region cn-hangzhou"
            ),
            RefusalCase(
                label: "source already bound", spec: SpecFixtures.spec(), observed: bound,
                expected: .sourceAlreadyBound, path: "spec.source.instanceId",
                message: "Source InstanceId already bound to a replica"
            ),
            RefusalCase(
                label: "target name taken", spec: SpecFixtures.spec(), observed: taken, expected: .targetNameTaken,
                path: "spec.target.instanceName", message: "is taken by r-someone, which kvmove did not create"
            ),
            RefusalCase(
                label: "target zone equals source zone",
                spec: SpecFixtures.spec(zone: "cn-hangzhou-g"),
                observed: {
                    var o = Observed.fresh()
                    o.targetVSwitch?.zone = "cn-hangzhou-g"
                    return o
                }(),
                expected: .targetZoneEqualsSource, path: "spec.target.zone",
                message: "must be in different zones"
            ),
            RefusalCase(
                label: "VPC not found", spec: SpecFixtures.spec(), observed: noVPC, expected: .vpcNotFound,
                path: "spec.target.vpcId", message: "VPC vpc-bp1app0001 was not found"
            ),
            RefusalCase(
                label: "vSwitch not found", spec: SpecFixtures.spec(), observed: noVSwitch, expected: .vSwitchNotFound,
                path: "spec.target.vSwitchId", message: "vSwitch vsw-bp1app0001 was not found"
            ),
            RefusalCase(
                label: "vSwitch in another zone", spec: SpecFixtures.spec(zone: "cn-hangzhou-i"),
                observed: Observed.fresh(), expected: .vSwitchNotInZone, path: "spec.target.vSwitchId",
                message: "is in zone cn-hangzhou-h, not in cn-hangzhou-i"
            ),
            RefusalCase(
                label: "vSwitch in another VPC", spec: SpecFixtures.spec(), observed: wrongVPC,
                expected: .vSwitchNotInVPC, path: "spec.target.vSwitchId", message: "belongs to vpc-other"
            ),
            RefusalCase(
                label: "PrePaid without period",
                spec: SpecFixtures.spec(billing: .prePaid(periodMonths: nil, autoRenew: false)),
                observed: Observed.fresh(), expected: .prePaidWithoutPeriod, path: "spec.target.billing",
                message: "billing type PrePaid needs a period"
            ),
            RefusalCase(
                label: "stage cutover back to sync", spec: SpecFixtures.spec(stage: .sync),
                observed: Observed.cutOver(), expected: .stageRegression, path: "spec.stage",
                message: "stage \"sync\" would go backwards"
            ),
            RefusalCase(
                label: "stage complete back to cutover", spec: SpecFixtures.spec(stage: .cutover),
                observed: Observed.completed(), expected: .stageRegression, path: "spec.stage",
                message: "the source and the group were already released"
            ),
            RefusalCase(
                label: "moving an existing target destroys it", spec: SpecFixtures.spec(zone: "cn-hangzhou-i"),
                observed: Observed.syncing(progress: 1), expected: .wouldDestroyTarget, path: "spec.target.zone",
                message: "would mean releasing the target and its data"
            ),
            RefusalCase(
                label: "sync channel failed", spec: SpecFixtures.spec(), observed: failed, expected: .syncFailed,
                path: "spec.activeActive.name", message: "source unreachable"
            ),
        ]
    }()

    @Test("refuses at plan time, pointing at the field, saying what to do", arguments: refusalCases)
    func refusals(_ c: RefusalCase) {
        do {
            _ = try planner.plan([c.spec], observed: [c.spec.name: c.observed], createdAt: "t")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.refusals.map(\.code).contains(c.expected))
            let refusal = error.refusals.first { $0.code == c.expected }
            #expect(refusal?.location == c.spec.locations.fields[c.path])
            #expect(refusal?.message.contains(c.message) == true, "\(refusal?.message ?? "")")
        }
    }

    @Test("every refusal code is covered")
    func refusalCoverage() {
        #expect(Set(Self.refusalCases.map(\.expected)) == Set(Refusal.Code.allCases))
    }

    @Test("all refusals of all migrations are reported together, and none of their steps are planned")
    func allRefusalsAtOnce() {
        let a = SpecFixtures.spec(name: "a", sourceId: "r-missing")
        let b = SpecFixtures.spec(name: "b", billing: .prePaid(periodMonths: nil, autoRenew: false))
        var noVPC = Observed.fresh()
        noVPC.targetVPC = nil
        #expect {
            try planner.plan([a, b], observed: ["a": ObservedMigration(), "b": noVPC], createdAt: "t")
        } throws: { error in
            let codes = (error as? PlanningError)?.refusals.map(\.code) ?? []
            return codes.contains(.sourceNotFound) && codes.contains(.prePaidWithoutPeriod)
                && codes.contains(.vpcNotFound)
        }
    }

    @Test("the minor version upgrade carries the disconnect and read-only risk note")
    func upgradeRisk() throws {
        let plan = try planner.plan(
            [SpecFixtures.spec()], observed: ["orders-cache": Observed.fresh(capable: false)], createdAt: "t")
        let upgrade = try #require(plan.steps.first)
        #expect(upgrade.kind == .upgradeSourceMinorVersion)
        #expect(upgrade.risks.joined().contains("flash disconnect of up to 5 s"))
        #expect(upgrade.risks.joined().contains("up to 30 s of read-only"))
    }

    @Test("steps of a migration form a chain in order; drift steps stand alone")
    func dependencies() throws {
        let plan = try planner.plan(
            [SpecFixtures.spec(stage: .complete)], observed: ["orders-cache": Observed.fresh()], createdAt: "t")
        let steps = plan.steps
        #expect(steps[0].dependsOn.isEmpty)
        for (previous, step) in zip(steps, steps.dropFirst()) { #expect(step.dependsOn == [previous.id]) }
        #expect(steps.last(where: { $0.kind == .releaseSource })?.destroysData == true)
        #expect(plan.summary.line == "Plan: 2 to create, 1 to change, 2 to release, 2 to wait/check.")
    }

    @Test("migrations are planned independently, in name order")
    func independentMigrations() throws {
        let plan = try planner.plan(
            [SpecFixtures.spec(name: "zeta"), SpecFixtures.spec(name: "alpha")],
            observed: ["zeta": Observed.fresh(), "alpha": Observed.fresh()], createdAt: "t")
        #expect(plan.migrations.map(\.spec.name) == ["alpha", "zeta"])
        #expect(plan.steps.allSatisfy { step in step.dependsOn.allSatisfy { $0.hasPrefix(step.migration + "/") } })
    }

    @Test("a source that is not Normal is a warning, not a refusal")
    func warning() throws {
        var o = Observed.fresh()
        o.source?.status = "Changing"
        let plan = try planner.plan([SpecFixtures.spec()], observed: ["orders-cache": o], createdAt: "t")
        #expect(
            plan.warnings == [
                "orders-cache: source r-bp1zxszhcgatnx0001 is Changing, not Normal; steps on it may be refused until it is Normal again"
            ])
    }

    @Test(
        "observed stage is derived from what exists",
        arguments: [
            (Observed.fresh(), ObservedStage.notStarted), (Observed.groupOnly(), .notStarted),
            (Observed.syncing(progress: 0.5), .syncing), (Observed.cutOver(), .cutOver),
            (Observed.completed(), .completed),
        ])
    func observedStage(_ observed: ObservedMigration, _ stage: ObservedStage) {
        #expect(Planner.observedStage(of: observed) == stage)
    }

    @Test(
        "without securityIps the plan says the target's groups come from the source, and warns when none admits the vSwitch"
    )
    func whitelistCopiedFromTheSourceIsShownAndChecked() throws {
        var observed = Observed.fresh()
        observed.source?.securityIps = ["default": ["10.0.0.0/8"], "ops": ["192.168.1.10"]]
        observed.targetVSwitch?.cidrBlock = "172.16.5.0/24"
        let plan = try planner.plan([SpecFixtures.spec()], observed: ["orders-cache": observed], createdAt: "t")
        let create = try #require(plan.steps.first { $0.kind == .createTarget })
        #expect(
            create.risks.contains(
                "the target's whitelist groups are copied from the source when it is created: default = 10.0.0.0/8; "
                    + "ops = 192.168.1.10"))
        #expect(
            plan.warnings == [
                "orders-cache: none of the target's whitelist groups (default, ops) covers vSwitch vsw-bp1app0001 "
                    + "(172.16.5.0/24): applications in vpc-bp1app0001 cannot connect to the target; add a group for "
                    + "them in spec.target.securityIps, for example { app: [172.16.5.0/24] }"
            ])
        #expect(!plan.steps.contains { $0.kind == .setTargetSecurityIps })
        // A group that covers the vSwitch (a wider block) silences the warning and is set after the create.
        let spec = Self.whitelisted(["app": ["172.16.0.0/12"]])
        let covered = try planner.plan([spec], observed: ["orders-cache": observed], createdAt: "t")
        #expect(covered.warnings.isEmpty)
        let set = try #require(covered.steps.first { $0.kind == .setTargetSecurityIps })
        #expect(set.planned == .securityIps(PlannedSecurityIps(instanceId: nil, groups: ["app": ["172.16.0.0/12"]])))
        #expect(set.after == ["app": "172.16.0.0/12"])
        #expect(set.dependsOn == [try #require(covered.steps.first { $0.kind == .createTarget }).id])
        let wait = try #require(covered.steps.first { $0.kind == .waitFullSync })
        #expect(wait.dependsOn == [set.id])
    }

    @Test("a drifted whitelist group shows before and after; only named groups are touched")
    func whitelistDrift() throws {
        var observed = Observed.cutOver()
        observed.target?.securityIps = ["default": ["127.0.0.1"], "app": ["10.0.0.1"]]
        observed.targetVSwitch?.cidrBlock = "172.16.5.0/24"
        let spec = Self.whitelisted(["app": ["172.16.0.0/16"], "batch": ["172.16.9.7"]], stage: .cutover)
        let plan = try planner.plan([spec], observed: ["orders-cache": observed], createdAt: "t")
        let step = try #require(plan.steps.first)
        #expect(step.kind == .setTargetSecurityIps && step.action == .change)
        #expect(step.before == ["app": "10.0.0.1"])
        #expect(step.after == ["app": "172.16.0.0/16", "batch": "172.16.9.7"])
        #expect(step.resourceId == observed.target?.id)
        #expect(plan.warnings.isEmpty)
        // The facts name the target's groups, so a plan saved before someone edits the whitelist is stale.
        #expect(observed.facts["target.security_ips"] == "app=10.0.0.1;default=127.0.0.1")
    }

    @Test(
        "IPv4 blocks: parsing and containment",
        arguments: [
            ("172.16.0.0/12", "172.16.5.0/24", true), ("172.16.5.0/24", "172.16.0.0/12", false),
            ("0.0.0.0/0", "10.1.2.3", true), ("10.1.2.3", "10.1.2.3/32", true), ("10.1.2.3", "10.1.2.0/24", false),
            ("192.168.1.77/24", "192.168.1.0/25", true),
        ])
    func ipv4Blocks(outer: String, inner: String, contains: Bool) throws {
        let a = try #require(IPv4Block(outer))
        let b = try #require(IPv4Block(inner))
        #expect(a.contains(b) == contains)
    }

    @Test(arguments: ["10.0.0.256", "10.0.0", "10.0.0.1/33", "::1", "a.b.c.d", "10.0.0.1/", "1.2.3.4.5", ""])
    func notIPv4Blocks(text: String) {
        #expect(IPv4Block(text) == nil)
    }
}
