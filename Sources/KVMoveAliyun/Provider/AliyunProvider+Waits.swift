import Foundation
import KVMoveCore

extension AliyunProvider {
    /// Polls `read` with growing intervals until it is done, reporting each new reading as progress.
    ///
    /// Retryable errors of a reading (throttling, 5xx, transport) do not end the wait: the next
    /// poll tries again, after the server's hint if it gave one. Ctrl-C ends it between polls.
    func waitUntil<Value: Sendable>(
        _ context: StepContext, what: String, read: () async throws -> PollState<Value>
    ) async throws -> Value {
        var interval = pollInterval
        var last: String?
        let started = ContinuousClock.now
        while true {
            try context.checkInterrupted()
            var pause = interval
            do {
                switch try await read() {
                case .done(let value): return value
                case .waiting(let seen):
                    if seen != last {
                        let elapsed = Int((ContinuousClock.now - started).components.seconds)
                        context.progress(
                            StepProgress(message: "waiting for \(what): \(seen) (\(formatSeconds(elapsed)))"))
                        last = seen
                    }
                }
            } catch let error as ProviderError where error.isRetryable {
                context.progress(StepProgress(message: "waiting for \(what): \(error.code), polling again"))
                // A journal that cannot be written stops the step (StepContext.operation): never dropped.
                try context.operation("poll of \(what) failed, polling again: \(error)")
                if let hint = error.retryAfterSeconds { pause = max(pause, .milliseconds(Int(hint * 1000))) }
            }
            try await Task.sleep(for: pause)
            interval = min(maxPollInterval, interval * 3 / 2)
        }
    }

    /// Carries out a poll: waits until the cloud reports what the step awaits.
    func awaitRead(_ request: ProviderRequest, step: Step, region: String?, context: StepContext) async throws
        -> StepOutcome
    {
        switch request.action {
        case "DescribeInstanceAttribute":
            guard let id = request.text("InstanceId") else { throw missing(request, "InstanceId") }
            return try await waitInstance(id, step: step, region: region, context: context)
        case "DescribeGlobalDistributeCache":
            if let member = request.text("SubInstanceId"), request.text("GlobalInstanceId") == nil {
                return try await waitLeftGroups(member, region: region, context: context)
            }
            guard let groupId = request.text("GlobalInstanceId") else { throw missing(request, "GlobalInstanceId") }
            return try await waitGroup(groupId, step: step, region: region, context: context)
        case "DescribeInstances":
            guard let id = request.text("InstanceIds") else { throw missing(request, "InstanceIds") }
            try await waitUntil(context, what: "\(id) to be released") { () async throws -> PollState<Void> in
                let response = try await kvstore(
                    "DescribeInstances", region: region, [("RegionId", region ?? ""), ("InstanceIds", id)])
                let found = response.json["Instances"]["KVStoreInstance"].elements.compactMap { AliyunInstance($0) }
                    .first { $0.id == id }
                guard let found, found.status != "Released" else { return .done(()) }
                return .waiting("InstanceStatus \(found.status)")
            }
            return StepOutcome(summary: "\(id) released")
        default:
            throw ProviderError.requestMismatch(request, step, source: .kvmove)
        }
    }

    /// Waits until no distributed instance lists `id` (`SubInstanceId`), then until `id` is `Normal`.
    private func waitLeftGroups(_ id: String, region: String?, context: StepContext) async throws -> StepOutcome {
        try await waitUntil(context, what: "\(id) to leave its group") { () async throws -> PollState<StepOutcome> in
            let response = try await kvstore(
                "DescribeGlobalDistributeCache", region: region,
                [("RegionId", region ?? ""), ("SubInstanceId", id)].filter { !$0.value.isEmpty })
            let listing = response.json["GlobalDistributeCaches"].elements.compactMap(GroupInfo.init)
                .filter { $0.members.contains { $0.id == id } }
            if let group = listing.first { return .waiting("still a member of \(group.id)") }
            let status = try await instance(id, region: region)?.status ?? "Released"
            guard status == "Normal" || status == "Released" else { return .waiting("InstanceStatus \(status)") }
            return .done(StepOutcome(summary: "\(id) stands alone"))
        }
    }

    private func missing(_ request: ProviderRequest, _ name: String) -> ProviderError {
        ProviderError(
            source: .kvmove, code: "MissingParameter",
            message: "\(request.action) has no value for \(name); run plan again")
    }

    private func waitInstance(_ id: String, step: Step, region: String?, context: StepContext) async throws
        -> StepOutcome
    {
        // While the target is initialized, the key counts of both, where this machine can reach them.
        var sourceUnreachable = false
        let instance = try await waitUntil(context, what: "\(id)") { () async throws -> PollState<AliyunInstance> in
            guard let now = try await self.instance(id, region: region) else {
                if case .releaseInstance = step.planned, let gone = placeholder(id) { return .done(gone) }
                throw ProviderError(
                    source: .aliyun, code: "InvalidInstanceId.NotFound",
                    message: "\(id) no longer exists; run kvmove plan again")
            }
            if now.status == "Error" {
                throw ProviderError(
                    source: .aliyun, code: "InstanceError",
                    message:
                        "\(id) is in status Error (its creation or change failed); see the console, then plan again")
            }
            let seen = "InstanceStatus \(now.status)" + (now.isOrderCompleted == false ? ", order not completed" : "")
            let settled = now.status == "Normal" && now.isOrderCompleted != false
            switch step.planned {
            case .upgradeMinorVersion:
                guard settled else { return .waiting(seen) }
                let engine = try await kvstore("DescribeEngineVersion", region: region, [("InstanceId", id)])
                let latest =
                    engine.json["IsLatestVersion"].bool == true
                    || engine.json["EnableUpgradeMinorVersion"].bool == false
                return latest
                    ? .done(now) : .waiting("\(seen), minor version \(engine.json["MinorVersion"].string ?? "?")")
            case .rename(let p):
                return settled && now.name == p.name ? .done(now) : .waiting("\(seen), name \(now.name)")
            case .billing(let p):
                return settled && now.chargeType == p.billing.chargeType
                    ? .done(now) : .waiting("\(seen), ChargeType \(now.chargeType)")
            case .releaseInstance:
                return now.chargeType == "PostPaid" && settled
                    ? .done(now) : .waiting("\(seen), ChargeType \(now.chargeType)")
            case .disconnect:
                return settled && now.groupId == nil ? .done(now) : .waiting("\(seen), group \(now.groupId ?? "none")")
            case .target(let p):
                if settled { return .done(now) }
                let counts = await keyCounts(
                    source: p.sourceInstanceId, target: id, context: context, skipSource: sourceUnreachable)
                if !counts.sourceReached { sourceUnreachable = true }
                return .waiting(seen + (counts.text.map { "; \($0)" } ?? ""))
            default:
                return settled ? .done(now) : .waiting(seen)
            }
        }
        return StepOutcome(summary: "\(id) is \(instance.status)")
    }

    /// What to tell the user about a distributed instance the cloud still lists after this migration's members left.
    static func lingeringGroupNote(_ groupId: String, members: [String], waited: Int?) -> String {
        let after = waited.map { " \(formatSeconds($0)) after" } ?? " after"
        if members.isEmpty {
            return "distributed instance \(groupId) is still listed with no members\(after) this migration's members "
                + "left it; the API has no call that releases a distributed instance, so kvmove does not try again. "
                + "Check it in the console (Tair console > Global Distributed Cache) and release it there if it stays"
        }
        return "distributed instance \(groupId) still lists \(members.joined(separator: ", ")), which kvmove did not "
            + "put there,\(after) this migration's members left it; kvmove leaves that member and the distributed "
            + "instance as they are. Remove or release that member in the console (Tair console > Global Distributed "
            + "Cache) if the distributed instance should go"
    }

    private func placeholder(_ id: String) -> AliyunInstance? {
        AliyunInstance(.object(["InstanceId": .string(id), "InstanceStatus": .string("Released")]))
    }

    private func waitGroup(_ groupId: String, step: Step, region: String?, context: StepContext) async throws
        -> StepOutcome
    {
        let targetId: String? =
            switch step.planned {
            case .target, .fullSync: context.resources.targetId
            default: nil
            }
        let started = ContinuousClock.now
        return try await waitUntil(context, what: "group \(groupId)") { () async throws -> PollState<StepOutcome> in
            let group = try await self.group(groupId, region: region)
            if case .releaseGroup = step.planned {
                guard let group else { return .done(StepOutcome(summary: "group \(groupId) released")) }
                // No API call releases a group; the cloud does once its last member left. Bounded, never forever.
                if ContinuousClock.now - started >= groupReleaseWait {
                    return .done(
                        StepOutcome(
                            summary: "group \(groupId) is still listed",
                            warning: Self.lingeringGroupNote(
                                groupId, members: group.members.map(\.id),
                                waited: Int(groupReleaseWait.components.seconds))))
                }
                return .waiting("Status \(group.status), \(group.members.count) member(s)")
            }
            guard let group else { return .waiting("not listed yet") }
            if let targetId {
                let member = group.members.first { $0.id == targetId }
                guard group.status == "Normal", member?.status == "Normal" else {
                    return .waiting("Status \(group.status), target \(member?.status ?? "not listed yet")")
                }
                return .done(StepOutcome(summary: "group \(groupId) is Normal with \(targetId) Normal"))
            }
            return group.status == "Normal"
                ? .done(StepOutcome(groupId: groupId, summary: "group \(groupId) is Normal"))
                : .waiting("Status \(group.status)")
        }
    }
}
