/// The facts a plan relies on, flattened to sorted `key = value` pairs.
///
/// A saved plan records these; apply re-observes and refuses when one differs, naming it.
/// The facts cover everything whose change makes the plan wrong: the resources and where they
/// are, group membership, whether the sync channel has failed, and whether the last verification
/// passed. Readings that move on by themselves (sync progress, lag, a channel going from its
/// initial sync to streaming, the time of a verification) are left out on purpose: they do not
/// make the plan wrong, and the steps that depend on them re-check.
extension ObservedMigration {
    package var facts: [String: String] {
        var facts: [String: String] = [:]
        func put(_ prefix: String, _ instance: ObservedInstance?) {
            guard let instance else {
                facts[prefix] = "absent"
                return
            }
            facts["\(prefix).id"] = instance.id
            facts["\(prefix).region"] = instance.region
            facts["\(prefix).engine"] = instance.engineVersion
            facts["\(prefix).shards"] = instance.shardCount.map(String.init) ?? "none"
            facts["\(prefix).name"] = instance.name
            facts["\(prefix).status"] = instance.status
            facts["\(prefix).zone"] = instance.zone
            facts["\(prefix).vpc"] = instance.vpcId
            facts["\(prefix).vswitch"] = instance.vSwitchId
            facts["\(prefix).class"] = instance.instanceClass
            facts["\(prefix).sync_capable"] = String(instance.syncCapable)
            facts["\(prefix).billing"] = instance.billing.summary
            facts["\(prefix).group"] = instance.groupId ?? "none"
            if instance.groupIneligibility != nil { facts["\(prefix).can_join_group"] = "no" }
            if let groups = instance.securityIps {
                facts["\(prefix).security_ips"] = groups.keys.sorted().map {
                    "\($0)=\((groups[$0] ?? []).sorted().joined(separator: ","))"
                }.joined(separator: ";")
            }
        }
        put("source", source)
        put("target", target)
        put("name_conflict", nameConflict)
        if let group {
            facts["group.id"] = group.id
            facts["group.name"] = group.name
            facts["group.members"] = group.members.joined(separator: ",")
        } else {
            facts["group"] = "absent"
        }
        if let sourceGroup {
            facts["source_group.id"] = sourceGroup.id
        }
        // A channel that failed makes the plan wrong; one that merely progressed does not.
        facts["sync"] =
            switch sync?.phase {
            case nil: "absent"
            case .failed: "failed"
            case .initializing, .synchronized: "running"
            }
        facts["verification"] = verification.map { $0.passed ? "passed" : "failed" } ?? "none"
        facts["vpc"] = targetVPC.map { "\($0.id) in \($0.region)" } ?? "absent"
        facts["vswitch"] = targetVSwitch.map { "\($0.id) in \($0.vpcId)/\($0.zone)" } ?? "absent"
        return facts
    }
}
