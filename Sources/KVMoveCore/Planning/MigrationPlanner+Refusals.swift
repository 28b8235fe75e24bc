/// The refusals: what makes a migration impossible to plan, each pointing at the spec field that causes it.
extension MigrationPlanner {
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
}
