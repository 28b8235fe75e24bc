import KVMoveCore

/// Ready-made specs matching ``FakeWorld/standard(sourceSyncCapable:keys:)``.
package enum SpecFixtures {
    /// A migration of the standard world's source into `vpc-bp1app0001` / zone h.
    package static func spec(
        name: String = "orders-cache",
        stage: Stage = .sync,
        billing: Billing = .postPaid,
        idleSeconds: Int? = nil,
        zone: String = "cn-hangzhou-h",
        vSwitchId: String = "vsw-bp1app0001",
        vpcId: String = "vpc-bp1app0001",
        sourceId: String = "r-bp1zxszhcgatnx0001",
        instanceName: String? = nil
    ) -> MigrationSpec {
        var fields: [String: SourceLocation] = [:]
        let paths = [
            "metadata.name", "spec.provider", "spec.source.region", "spec.source.instanceId", "spec.target.region",
            "spec.target.zone", "spec.target.vpcId", "spec.target.vSwitchId", "spec.target.instanceName",
            "spec.target.billing", "spec.activeActive.name", "spec.stage", "spec.cutover",
            "spec.target.billing.periodMonths", "spec.target.securityIps",
        ]
        for (index, path) in paths.enumerated() {
            fields[path] = SourceLocation(file: "\(name).yaml", line: index + 2, column: 3)
        }
        return MigrationSpec(
            name: name,
            provider: "local",
            source: SourceSpec(region: "cn-hangzhou", instanceId: sourceId),
            target: TargetSpec(
                region: "cn-hangzhou",
                zone: zone,
                vpcId: vpcId,
                vSwitchId: vSwitchId,
                instanceName: instanceName ?? name,
                billing: billing
            ),
            activeActive: GroupSpec(name: "\(name)-aa"),
            cutover: CutoverSpec(requireIdleSourceSeconds: idleSeconds),
            stage: stage,
            locations: SpecLocations(document: SourceLocation(file: "\(name).yaml", line: 1, column: 1), fields: fields)
        )
    }
}
