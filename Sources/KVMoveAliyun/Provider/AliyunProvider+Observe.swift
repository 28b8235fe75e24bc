import KVMoveCore

extension AliyunProvider {
    /// Observes every migration, batching what the API can batch.
    ///
    /// Per region: sources by id list (`DescribeInstances` `InstanceIds`, 30 a call), the target
    /// region's instances (`DescribeInstances`: targets by their tag `kvmove:migration`, the last
    /// verification by the tag `kvmove:verified`, and name conflicts), distributed instances
    /// (`DescribeGlobalDistributeCache`), VPCs (`DescribeVpcs`) and vSwitches
    /// (`DescribeVSwitches`), all page by page (50 a page). Per source, only what has no batch
    /// form: `DescribeEngineVersion` (minor version), and `DescribeDBInstanceNetInfo` for
    /// cluster sources (direct connection).
    package func observe(_ specs: [MigrationSpec]) async throws -> [String: ObservedMigration] {
        var sources: [String: AliyunInstance] = [:]
        for (region, group) in Dictionary(grouping: specs, by: \.source.region) {
            let ids = Array(Set(group.map(\.source.instanceId))).sorted()
            for start in stride(from: 0, to: ids.count, by: 30) {
                let chunk = ids[start..<min(ids.count, start + 30)]
                let items = try await pages(
                    "DescribeInstances", region: region,
                    [("RegionId", region), ("InstanceIds", chunk.joined(separator: ","))]
                ) { $0["Instances"]["KVStoreInstance"].array }
                for item in items {
                    guard let instance = AliyunInstance(item), chunk.contains(instance.id) else { continue }
                    sources[instance.id] = instance
                }
            }
        }
        let names = Set(specs.map(\.name))
        var targets: [String: AliyunInstance] = [:]
        // Every live instance of a target region, by name: a target name taken by an instance kvmove did not
        // create for that migration is refused at plan time.
        var byName: [String: [String: [AliyunInstance]]] = [:]
        for region in Set(specs.map(\.target.region)).sorted() {
            // The whole region, page by page, rather than a tag filter: the listing carries every instance's tags
            // (so targets are found by `kvmove:migration=<name>`) and names (for conflicts) in one batch.
            let items = try await pages("DescribeInstances", region: region, [("RegionId", region)]) {
                $0["Instances"]["KVStoreInstance"].array
            }
            for item in items {
                guard let instance = AliyunInstance(item), instance.status != "Released", instance.status != "Flushing"
                else { continue }
                byName[region, default: [:]][instance.name, default: []].append(instance)
                guard let name = instance.tags[Self.tagKey], names.contains(name) else { continue }
                targets[name] = instance
            }
            // That the unfiltered listing carries every instance's tags is practice (Terraform relies on it), not
            // documented. A listing whose items carry no Tags at all may simply omit them: then each migration's
            // target is looked up by its tag, so a target is never missed (and never created twice).
            guard !items.isEmpty, items.allSatisfy({ $0["Tags"].isNull }) else { continue }
            for spec in specs where spec.target.region == region && targets[spec.name] == nil {
                let tagged = try await pages(
                    "DescribeInstances", region: region,
                    [("RegionId", region), ("Tag.1.Key", Self.tagKey), ("Tag.1.Value", spec.name)]
                ) { $0["Instances"]["KVStoreInstance"].array }
                targets[spec.name] = tagged.compactMap { AliyunInstance($0) }.first {
                    $0.status != "Released" && $0.status != "Flushing"
                        && ($0.tags[Self.tagKey] == spec.name || $0.tags.isEmpty)
                }
            }
        }
        var groups: [String: GroupInfo] = [:]
        for region in Set(specs.map(\.source.region)).sorted() {
            let items = try await pages("DescribeGlobalDistributeCache", region: region, [("RegionId", region)]) {
                $0["GlobalDistributeCaches"].array
            }
            for item in items { if let group = GroupInfo(item) { groups[group.id] = group } }
        }
        var vpcs: [String: ObservedVPC] = [:]
        var vSwitches: [String: ObservedVSwitch] = [:]
        for region in Set(specs.map(\.target.region)).sorted() {
            let vpcItems = try await pages("DescribeVpcs", service: .vpc, region: region, [("RegionId", region)]) {
                $0["Vpcs"]["Vpc"].array
            }
            for item in vpcItems {
                if let id = item["VpcId"].string {
                    vpcs[id] = ObservedVPC(id: id, region: item["RegionId"].string ?? region)
                }
            }
            let switchItems = try await pages(
                "DescribeVSwitches", service: .vpc, region: region, [("RegionId", region)]
            ) { $0["VSwitches"]["VSwitch"].array }
            for item in switchItems {
                if let id = item["VSwitchId"].string {
                    vSwitches[id] = ObservedVSwitch(
                        id: id, vpcId: item["VpcId"].string ?? "", zone: item["ZoneId"].string ?? "",
                        cidrBlock: item["CidrBlock"].string.flatMap { $0.isEmpty ? nil : $0 })
                }
            }
        }
        // What has no batch form, per source and per target, eight at a time. A source's whitelist matters only
        // while its target is still to be created (the target's groups are cloned from it); a target's, once it is.
        var engines: [String: (minor: String, capable: Bool)] = [:]
        var direct: [String: Bool] = [:]
        var whitelists: [String: [String: [String]]] = [:]
        let awaitingTarget = Set(specs.filter { targets[$0.name] == nil }.map(\.source.instanceId))
        let jobs: [(AliyunInstance, Bool)] =
            sources.values.sorted { $0.id < $1.id }.map { ($0, true) }
            + targets.values.sorted { $0.id < $1.id }.map { ($0, false) }
        try await withThrowingTaskGroup(of: PerInstance.self) { group in
            var next = 0
            func add() {
                guard next < jobs.count else { return }
                let (instance, isSource) = jobs[next]
                next += 1
                group.addTask {
                    isSource
                        ? try await self.perSource(instance, readWhitelist: awaitingTarget.contains(instance.id))
                        : PerInstance(
                            id: instance.id,
                            securityIps: try await self.securityIps(instance.id, region: instance.region))
                }
            }
            for _ in 0..<8 { add() }
            while let done = try await group.next() {
                if let minor = done.minorVersion { engines[done.id] = (minor, done.syncCapable) }
                if let hasDirect = done.hasDirectConnection { direct[done.id] = hasDirect }
                if let groups = done.securityIps { whitelists[done.id] = groups }
                add()
            }
        }
        var result: [String: ObservedMigration] = [:]
        for spec in specs {
            result[spec.name] = observed(
                spec, source: sources[spec.source.instanceId], target: targets[spec.name], groups: groups,
                engine: engines[spec.source.instanceId], direct: direct[spec.source.instanceId] ?? false,
                whitelists: whitelists,
                vpc: vpcs[spec.target.vpcId], vSwitch: vSwitches[spec.target.vSwitchId], all: sources, targets: targets)
            result[spec.name]?.nameConflict = byName[spec.target.region]?[spec.target.instanceName]?
                .first { $0.tags[Self.tagKey] != spec.name }?.observed()
        }
        // Said once, on the first migration: which regions have no VPC endpoint and get the public one.
        let regions = specs.flatMap { [$0.source.region, $0.target.region] }
        if let first = specs.map(\.name).min() {
            result[first]?.notes += client.endpoints.publicFallbacks(regions: regions)
        }
        return result
    }

    private func observed(
        _ spec: MigrationSpec, source: AliyunInstance?, target: AliyunInstance?, groups: [String: GroupInfo],
        engine: (minor: String, capable: Bool)?, direct: Bool, whitelists: [String: [String: [String]]],
        vpc: ObservedVPC?, vSwitch: ObservedVSwitch?,
        all: [String: AliyunInstance], targets: [String: AliyunInstance]
    ) -> ObservedMigration {
        var seen = ObservedMigration(
            settings: [
                Self.sourceRegionSetting: spec.source.region, Self.targetRegionSetting: spec.target.region,
                AliyunSite.setting: site.rawValue,
            ].merging(Self.settings(for: spec.connection)) { first, _ in first })
        seen.unsupportedSteps = unsupportedSteps(source: source, target: target)
        if let source {
            var instance = source.observed(
                minorVersion: engine?.minor ?? "unknown", syncCapable: engine?.capable ?? true)
            instance.groupIneligibility =
                source.groupId == nil ? source.groupIneligibility(hasDirectConnection: direct) : nil
            instance.securityIps = whitelists[source.id]
            seen.source = instance
            if let groupId = source.groupId {
                let info = groups[groupId]
                let members = info?.members.map(\.id) ?? [source.id]
                var zones: [String: String] = [:]
                for member in members {
                    if let zone = (all[member] ?? (target?.id == member ? target : nil))?.zone { zones[member] = zone }
                }
                let group = ObservedGroup(
                    id: groupId, name: info?.name ?? groupId, members: members, tags: [:],
                    memberLimit: Self.memberLimit,
                    memberZones: zones)
                seen.sourceGroup = group
                // The source's group is this migration's when every other member is this migration's target.
                if members.allSatisfy({ $0 == source.id || $0 == target?.id }) {
                    var ours = group
                    ours.tags = [Self.tagKey: spec.name]
                    seen.group = ours
                }
            }
        }
        if let target {
            var billing: Billing? = nil
            if target.chargeType == "PrePaid", case .prePaid = spec.target.billing {
                // The subscription period cannot be read back; a PrePaid target is taken as the spec says.
                billing = spec.target.billing
            }
            seen.target = target.observed(minorVersion: "", billing: billing)
            seen.target?.securityIps = whitelists[target.id]
            seen.verification = target.tags[Self.verifiedTagKey].flatMap { VerificationTag(value: $0) }?.observed
            if seen.group == nil, let groupId = target.groupId, let info = groups[groupId] {
                seen.group = ObservedGroup(
                    id: groupId, name: info.name, members: info.members.map(\.id), tags: [Self.tagKey: spec.name],
                    memberLimit: Self.memberLimit)
            }
            if let groupId = target.groupId, groupId == seen.group?.id {
                let member = groups[groupId]?.members.first { $0.id == target.id }
                let groupStatus = groups[groupId]?.status ?? "Unknown"
                if target.status == "Error" {
                    seen.sync = ObservedSync(
                        phase: .failed, message: "the target's creation failed (InstanceStatus Error)")
                } else if target.status == "Normal", member?.status == "Normal", groupStatus == "Normal" {
                    // The cloud says synchronized; kvmove also needs its sentinel key seen on the target
                    // (wait-full-sync). A recorded verification, passed or failed, is the durable trace that
                    // it was: verify-data runs only after wait-full-sync finished. Without one, wait-full-sync
                    // is planned again (it returns as soon as the sentinel arrives).
                    seen.sync =
                        seen.verification != nil
                        ? ObservedSync(phase: .synchronized, progress: 1)
                        : ObservedSync(
                            phase: .initializing, progress: 1,
                            message: "the cloud reports the target synchronized; the sentinel check is still to do")
                } else {
                    seen.sync = ObservedSync(
                        phase: .initializing,
                        message:
                            "target \(target.status), listed \(member?.status ?? "not yet") in group \(groupStatus)")
                }
            }
        }
        // A group this migration created that the cloud still lists after both members left: say so, every plan,
        // instead of planning its release again (no API call releases a group).
        if seen.group == nil, let target, let groupId = target.tags[Self.groupTagKey], let info = groups[groupId],
            target.groupId == nil, source?.groupId != groupId
        {
            let others = info.members.map(\.id).filter { $0 != source?.id && $0 != target.id }
            seen.notes.append(Self.lingeringGroupNote(groupId, members: others, waited: nil))
        }
        seen.targetVPC = vpc.flatMap { $0.region == spec.target.region ? $0 : nil }
        seen.targetVSwitch = vSwitch
        return seen
    }

    /// The steps this site's API cannot carry out for this migration (see ``AliyunSite``).
    ///
    /// On the international site the API documents no way to add a classic child to a distributed
    /// instance (`CreateInstance GlobalInstanceId` is China-site only); the console does it, and a child
    /// added there and tagged `kvmove:migration=<name>` is this migration's target, so the user can carry
    /// on. Releasing a member has a documented path there (`RemoveSubInstance`, then `DeleteInstance`),
    /// which release-source takes.
    func unsupportedSteps(source: AliyunInstance?, target: AliyunInstance?) -> [String: UnsupportedStep] {
        guard site == .international else { return [:] }
        var steps: [String: UnsupportedStep] = [:]
        let cloudNativeTarget = source.map { AliyunInstance.isCloudNative(instanceClass: $0.instanceClass) } ?? false
        if target == nil, !cloudNativeTarget {
            steps[StepKind.createTarget.rawValue] = UnsupportedStep(
                message: "on \(site.display) the API has no documented way to add a classic instance to a "
                    + "distributed instance (CreateInstance's GlobalInstanceId applies only to the China site). "
                    + "Add the child in the console (Tair console > Global Distributed Cache > the distributed "
                    + "instance > Add Child Instance, in the target zone, VPC and vSwitch), tag it "
                    + "\(Self.tagKey)=<migration name>, then plan again: kvmove takes it as the target. If the "
                    + "account is on the China site, set \(AliyunSite.variable)=china",
                specPath: "spec.provider")
        }
        return steps
    }

    /// What observing reads per instance: for a source, its engine (and direct connection, whitelist); for a
    /// target, its whitelist.
    struct PerInstance: Sendable {
        var id: String
        var minorVersion: String?
        var syncCapable = true
        var hasDirectConnection: Bool?
        var securityIps: [String: [String]]?
    }

    /// `DescribeEngineVersion`, `DescribeDBInstanceNetInfo` for a cluster, and `DescribeSecurityIps` when asked.
    private func perSource(_ source: AliyunInstance, readWhitelist: Bool) async throws(ProviderError) -> PerInstance {
        let engine = try await kvstore("DescribeEngineVersion", region: source.region, [("InstanceId", source.id)])
        let upgradable = engine.json["EnableUpgradeMinorVersion"].bool ?? false
        let latest = engine.json["IsLatestVersion"].bool ?? !upgradable
        var result = PerInstance(
            id: source.id, minorVersion: engine.json["MinorVersion"].string ?? "unknown",
            syncCapable: latest || !upgradable)
        if readWhitelist { result.securityIps = try await securityIps(source.id, region: source.region) }
        if source.architectureType == "cluster" {
            let info = try await kvstore(
                "DescribeDBInstanceNetInfo", region: source.region, [("InstanceId", source.id)])
            result.hasDirectConnection = info.json["NetInfoItems"]["InstanceNetInfo"].elements.contains {
                $0["DirectConnection"].int == 1
            }
        }
        return result
    }

    /// Every item of a paged list call.
    func pages(
        _ action: String, service: Endpoints.Service = .rKVStore, region: String,
        _ parameters: [(name: String, value: String)], items: (JSONValue) -> [JSONValue]
    ) async throws(ProviderError) -> [JSONValue] {
        var all: [JSONValue] = []
        var page = 1
        let size = 50
        while true {
            let response = try await client.call(
                service, action, region: region,
                parameters + [("PageNumber", String(page)), ("PageSize", String(size))])
            let found = items(response.json)
            all += found
            // DescribeGlobalDistributeCache counts in TotalRecordCount; the other lists in TotalCount.
            let total = response.json[action == "DescribeGlobalDistributeCache" ? "TotalRecordCount" : "TotalCount"].int
            if found.count < size || (total.map { all.count >= $0 } ?? false) || page >= 1000 { break }
            page += 1
        }
        return all
    }
}

/// A distributed instance as `DescribeGlobalDistributeCache` reports it.
struct GroupInfo: Sendable, Hashable {
    struct Member: Sendable, Hashable {
        var id: String
        var status: String
    }

    var id: String
    var name: String
    var status: String
    var members: [Member]

    init?(_ json: JSONValue) {
        guard let id = json["GlobalInstanceId"].string else { return nil }
        self.id = id
        // The model has no name for a distributed instance: it is shown by its id.
        name = id
        status = json["Status"].string ?? "Unknown"
        // The member id key is `InstanceID` (capital D), as the SDK's model and the documented sample have it.
        members = json["SubInstances"].elements.compactMap { item in
            guard let id = item["InstanceID"].string else { return nil }
            return Member(id: id, status: item["InstanceStatus"].string ?? "Unknown")
        }
    }
}
