/// Whitelist groups: the step that sets the ones the spec names, and what the plan says about the others.
extension MigrationPlanner {
    /// The whitelist groups the spec names, set on the target right after it exists (before the full sync ends),
    /// and again whenever one drifts; a note of the groups the target will have; a warning when none of them
    /// lets the target vSwitch's addresses in.
    mutating func planSecurityIps() {
        let wanted = spec.target.securityIps ?? [:]
        let current: [String: [String]]?
        if let target = observed.target {
            // A provider that does not report the target's groups has nothing to compare with.
            guard let groups = target.securityIps else { return }
            current = groups
        } else {
            // Before the target exists: what it gets at creation, a copy of the source's groups (nil: unknown).
            current = observed.source?.securityIps
            if let current { noteCopiedGroups(current, wanted: wanted) }
        }
        let drifted = wanted.filter { name, ips in current?[name].map(Set.init) != Set(ips) }
        if !drifted.isEmpty { addSecurityIps(drifted, before: current ?? [:]) }
        if let current { warnUnlessVSwitchCovered(by: current.merging(wanted) { $1 }) }
    }

    /// Says on create-target which groups the new target is created with.
    private mutating func noteCopiedGroups(_ copied: [String: [String]], wanted: [String: [String]]) {
        guard let index = steps.lastIndex(where: { $0.kind == .createTarget }) else { return }
        let listed = copied.keys.sorted().map { "\($0) = \(copied[$0]?.joined(separator: ",") ?? "")" }
        steps[index].risks.append(
            "the target's whitelist groups are copied from the source when it is created: "
                + (listed.isEmpty ? "none" : listed.joined(separator: "; "))
                + (wanted.isEmpty ? "" : "; then the groups in spec.target.securityIps are set"))
    }

    /// Warns when no group lets the target vSwitch's addresses in (its applications could not connect).
    private mutating func warnUnlessVSwitchCovered(by groups: [String: [String]]) {
        guard let vSwitch = observed.targetVSwitch, let cidr = vSwitch.cidrBlock, let block = IPv4Block(cidr),
            !groups.values.joined().compactMap(IPv4Block.init).contains(where: { $0.contains(block) })
        else { return }
        warnings.append(
            "none of the target's whitelist groups (\(groups.keys.sorted().joined(separator: ", "))) covers "
                + "vSwitch \(vSwitch.id) (\(cidr)): applications in \(spec.target.vpcId) cannot connect to the "
                + "target; add a group for them in spec.target.securityIps, for example { app: [\(cidr)] }")
    }

    mutating func addSecurityIps(_ groups: [String: [String]], before: [String: [String]]) {
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
}
