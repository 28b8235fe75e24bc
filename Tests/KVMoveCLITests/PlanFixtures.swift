import KVMoveCore

/// Plans made by the real ``Planner`` from hand-made specs and observations, for view tests.
///
/// Timestamps and the tool version are fixed so that rendered output is deterministic.
enum PlanFixtures {
    static let toolVersion = "0.1.0-test"
    static let createdAt = "2026-01-15T09:30:00Z"

    /// Every named fixture plan, in a stable order, for parameterized tests.
    static let all: [(name: String, plan: Plan)] = [
        ("fresh-sync", freshSync),
        ("release-and-drift", releaseAndDrift),
        ("converged", converged),
        ("warnings", withWarnings),
    ]

    /// A fresh migration to stage sync whose source runs a minor version too old for the sync channel.
    static var freshSync: Plan {
        let spec = spec(name: "orders-cache", stage: .sync)
        let observed = ObservedMigration(
            source: source(
                id: "r-bp1orders0001", name: "orders-cache-old", minorVersion: "5.0.1.9", syncCapable: false),
            targetVPC: ObservedVPC(id: "vpc-bp1app0001", region: "cn-hangzhou"),
            targetVSwitch: ObservedVSwitch(id: "vsw-bp1app0001", vpcId: "vpc-bp1app0001", zone: "cn-hangzhou-h")
        )
        return plan([spec], observed: ["orders-cache": observed])
    }

    /// Two migrations: one going to `complete` after cut-over (releases, data destroyed), one whose
    /// target drifted (renamed, billing changed).
    static var releaseAndDrift: Plan {
        let billing = spec(name: "billing-cache", stage: .complete, sourceId: "r-bp1billing001")
        let billingObserved = ObservedMigration(
            source: source(id: "r-bp1billing001", name: "billing-cache-old"),
            target: target(id: "r-bp1billing002", name: "billing-cache", migration: "billing-cache"),
            group: ObservedGroup(
                id: "gr-bp1billing01",
                name: "billing-cache-aa",
                members: ["r-bp1billing001"],
                tags: [Tags.migration: "billing-cache"]
            )
        )
        let orders = spec(
            name: "orders-cache",
            stage: .sync,
            billing: .prePaid(periodMonths: 12, autoRenew: true)
        )
        let ordersObserved = ObservedMigration(
            source: source(id: "r-bp1orders0001", name: "orders-cache-old", groupId: "gr-bp1orders001"),
            sourceGroup: ordersGroup,
            target: target(
                id: "r-bp1orders0002",
                name: "orders-cache-renamed",
                migration: "orders-cache",
                groupId: "gr-bp1orders001"
            ),
            group: ordersGroup,
            sync: ObservedSync(phase: .synchronized, progress: 1),
            verification: ObservedVerification(passed: true, at: "2026-01-14T18:00:00Z", summary: "1204 keys match")
        )
        return plan([orders, billing], observed: ["billing-cache": billingObserved, "orders-cache": ordersObserved])
    }

    /// Two migrations that already match their specs: one syncing, one completed.
    static var converged: Plan {
        let orders = spec(name: "orders-cache", stage: .sync)
        let ordersObserved = ObservedMigration(
            source: source(id: "r-bp1orders0001", name: "orders-cache-old", groupId: "gr-bp1orders001"),
            sourceGroup: ordersGroup,
            target: target(
                id: "r-bp1orders0002",
                name: "orders-cache",
                migration: "orders-cache",
                groupId: "gr-bp1orders001"
            ),
            group: ordersGroup,
            sync: ObservedSync(phase: .synchronized, progress: 1),
            verification: ObservedVerification(passed: true, at: "2026-01-14T18:00:00Z", summary: "1204 keys match")
        )
        let sessions = spec(name: "sessions", stage: .complete, sourceId: "r-bp1sessions01")
        let sessionsObserved = ObservedMigration(
            target: target(id: "r-bp1sessions02", name: "sessions", migration: "sessions")
        )
        return plan([orders, sessions], observed: ["orders-cache": ordersObserved, "sessions": sessionsObserved])
    }

    /// A fresh migration straight to `complete` on PrePaid billing, whose source is busy (a warning).
    static var withWarnings: Plan {
        let spec = spec(
            name: "carts",
            stage: .complete,
            sourceId: "r-bp1carts00001",
            billing: .prePaid(periodMonths: 1, autoRenew: false),
            idleSeconds: 90
        )
        let observed = ObservedMigration(
            source: source(id: "r-bp1carts00001", name: "carts-old", status: "Changing"),
            targetVPC: ObservedVPC(id: "vpc-bp1app0001", region: "cn-hangzhou"),
            targetVSwitch: ObservedVSwitch(id: "vsw-bp1app0001", vpcId: "vpc-bp1app0001", zone: "cn-hangzhou-h")
        )
        return plan([spec], observed: ["carts": observed])
    }

    /// `count` fresh migrations, for size limits.
    static func many(_ count: Int) -> Plan {
        var specs: [MigrationSpec] = []
        var observed: [String: ObservedMigration] = [:]
        for index in 0..<count {
            let name = "cache-\(String(index + 10_000).dropFirst())"
            let sourceId = "r-bp1src\(String(index + 100_000).dropFirst())"
            specs.append(spec(name: name, stage: .complete, sourceId: sourceId))
            observed[name] = ObservedMigration(
                source: source(id: sourceId, name: "\(name)-old", syncCapable: index.isMultiple(of: 2)),
                targetVPC: ObservedVPC(id: "vpc-bp1app0001", region: "cn-hangzhou"),
                targetVSwitch: ObservedVSwitch(id: "vsw-bp1app0001", vpcId: "vpc-bp1app0001", zone: "cn-hangzhou-h")
            )
        }
        return plan(specs, observed: observed)
    }

    // MARK: - Builders

    static func plan(_ specs: [MigrationSpec], observed: [String: ObservedMigration]) -> Plan {
        do {
            return try Planner(toolVersion: toolVersion).plan(specs, observed: observed, createdAt: createdAt)
        } catch {
            preconditionFailure("fixture refused by the planner: \(error)")
        }
    }

    static func spec(
        name: String,
        stage: Stage,
        sourceId: String = "r-bp1orders0001",
        billing: Billing = .postPaid,
        idleSeconds: Int? = 30
    ) -> MigrationSpec {
        MigrationSpec(
            name: name,
            provider: "local",
            source: SourceSpec(region: "cn-hangzhou", instanceId: sourceId),
            target: TargetSpec(
                region: "cn-hangzhou",
                zone: "cn-hangzhou-h",
                vpcId: "vpc-bp1app0001",
                vSwitchId: "vsw-bp1app0001",
                instanceName: name,
                billing: billing
            ),
            activeActive: GroupSpec(name: "\(name)-aa"),
            cutover: CutoverSpec(requireIdleSourceSeconds: idleSeconds),
            stage: stage
        )
    }

    static let ordersGroup = ObservedGroup(
        id: "gr-bp1orders001",
        name: "orders-cache-aa",
        members: ["r-bp1orders0001", "r-bp1orders0002"],
        tags: [Tags.migration: "orders-cache"]
    )

    static func source(
        id: String,
        name: String,
        status: String = "Normal",
        minorVersion: String = "7.0.2.6",
        syncCapable: Bool = true,
        groupId: String? = nil
    ) -> ObservedInstance {
        ObservedInstance(
            id: id,
            name: name,
            region: "cn-hangzhou",
            zone: "cn-hangzhou-g",
            vpcId: "vpc-bp1old0001",
            vSwitchId: "vsw-bp1old0001",
            status: status,
            instanceClass: "redis.master.small.default",
            engineVersion: "7.0",
            minorVersion: minorVersion,
            syncCapable: syncCapable,
            groupId: groupId
        )
    }

    static func target(id: String, name: String, migration: String, groupId: String? = nil) -> ObservedInstance {
        ObservedInstance(
            id: id,
            name: name,
            region: "cn-hangzhou",
            zone: "cn-hangzhou-h",
            vpcId: "vpc-bp1app0001",
            vSwitchId: "vsw-bp1app0001",
            instanceClass: "redis.master.small.default",
            engineVersion: "7.0",
            minorVersion: "7.0.2.6",
            groupId: groupId,
            tags: [Tags.migration: migration]
        )
    }
}
