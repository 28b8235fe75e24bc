import Foundation
import KVMoveCore
import KVMoveSecret
import Synchronization

extension AliyunProvider {
    /// Carries out one request built by ``requests(for:in:)``: a changing call is sent only when
    /// its effect is not there yet; a poll waits until the cloud says the step is done.
    package func send(_ request: ProviderRequest, for step: Step, in context: StepContext) async throws
        -> StepOutcome
    {
        // Reads retried inside the client (throttling, 5xx) are journaled with their request ids; a journal that
        // cannot be written fails the step once the call returns (the report itself cannot throw).
        let unjournaled = Mutex<(any Error)?>(nil)
        let journal: @Sendable (RetriedCall) -> Void = { retried in
            do {
                try context.operation("retried \(retried.summary)")
            } catch {
                unjournaled.withLock { $0 = $0 ?? error }
            }
        }
        let outcome: StepOutcome
        do {
            outcome = try await AliyunClient.$retryReport.withValue(journal) {
                if request.service == Self.redis {
                    return try await sendDataPlane(request, step: step, context: context)
                }
                return try await sendAPI(request, step: step, context: context)
            }
        } catch let error as ProviderError {
            throw unjournaled.withLock({ $0 }) ?? error
        } catch let error as CancellationError {
            throw error
        } catch let error as ApplyInterrupted {
            throw error
        } catch let error as JournalNotWritten {
            throw error
        } catch {
            throw ProviderError(source: .aliyun, code: "Failed", message: "\(error)", underlying: error)
        }
        if let error = unjournaled.withLock({ $0 }) { throw error }
        return outcome
    }

    private func sendAPI(_ request: ProviderRequest, step: Step, context: StepContext) async throws -> StepOutcome {
        let region = request.text("RegionId")
        func required(_ name: String) throws -> String {
            guard let value = request.text(name) else {
                throw ProviderError(
                    source: .kvmove, code: "MissingParameter",
                    message: "\(request.action) has no value for \(name); run plan again")
            }
            return value
        }
        /// The request's parameters as sent: every plain and secret value, in order.
        func wire() -> [(name: String, value: String)] {
            request.parameters.compactMap { parameter in
                switch parameter.value {
                case .text(let text): (parameter.name, text)
                case .secret(let secret): (parameter.name, secret.reveal())
                case .knownAfterApply: nil
                }
            }
        }
        func sendAsIs() async throws -> RPCSender.Response {
            let response = try await kvstore(request.action, region: region, wire())
            if let id = response.requestId { try context.operation("request \(id)") }
            return response
        }
        switch (request.action, request.effect) {
        case ("ModifyInstanceMinorVersion", _):
            let id = try required("InstanceId")
            let engine = try await kvstore("DescribeEngineVersion", region: region, [("InstanceId", id)])
            if engine.json["EnableUpgradeMinorVersion"].bool == false || engine.json["IsLatestVersion"].bool == true {
                return StepOutcome(
                    summary: "minor version \(engine.json["MinorVersion"].string ?? "") is already the latest",
                    requestId: engine.requestId)
            }
            let attribute = try await instance(id, region: region)
            if attribute?.status == "MinorVersionUpgrading" {
                return StepOutcome(summary: "the upgrade is already running", requestId: engine.requestId)
            }
            let response = try await sendAsIs()
            return StepOutcome(summary: "minor version upgrade started", requestId: response.requestId)
        case ("CreateGlobalDistributeCache", _):
            let seed = try required("SeedSubInstanceId")
            if let existing = try await instance(seed, region: region)?.groupId {
                return StepOutcome(groupId: existing, summary: "the source already leads \(existing)")
            }
            let response = try await sendAsIs()
            var groupId = response.json["GlobalInstanceId"].string ?? ""
            if groupId.isEmpty {
                groupId = try await waitUntil(context, what: "the new group's id on \(seed)") {
                    try await instance(seed, region: region)?.groupId.map { .done($0) } ?? .waiting("not reported yet")
                }
            }
            try context.operation("group \(groupId)")
            return StepOutcome(groupId: groupId, summary: "group \(groupId) created", requestId: response.requestId)
        case ("CreateInstance", _), ("CreateTairInstance", _):
            return try await createTarget(request, wire: wire(), region: region, context: context)
        case ("ModifySecurityIps", _):
            let id = try required("InstanceId")
            let name = try required("SecurityIpGroupName")
            let wanted = (request.text("SecurityIps") ?? "").split(separator: ",").map(String.init)
            var outcome = StepOutcome(summary: "whitelist group \(name) already holds \(wanted.joined(separator: ","))")
            if try await securityIps(id, region: region)?[name].map(Set.init) != Set(wanted) {
                let response = try await sendAsIs()
                outcome = StepOutcome(summary: "whitelist group \(name) set", requestId: response.requestId)
            }
            // The status a whitelist change shows is not documented: wait until the list reads back, then Normal.
            _ = try await waitUntil(context, what: "whitelist group \(name) of \(id)") {
                () async throws -> PollState<Void> in
                let now = try await securityIps(id, region: region)?[name] ?? []
                guard Set(now) == Set(wanted) else { return .waiting("\(name) = \(now.joined(separator: ","))") }
                let status = try await instance(id, region: region)?.status ?? "unknown"
                return status == "Normal" ? .done(()) : .waiting("InstanceStatus \(status)")
            }
            return outcome
        case ("ModifyInstanceAttribute", _):
            let id = try required("InstanceId")
            if try await instance(id, region: region)?.name == request.text("InstanceName") {
                return StepOutcome(summary: "already named \(request.text("InstanceName") ?? "")")
            }
            let response = try await sendAsIs()
            return StepOutcome(summary: "renamed", requestId: response.requestId)
        case ("TransformInstanceChargeType", _):
            let id = try required("InstanceId")
            let wanted = request.text("ChargeType") ?? "PostPaid"
            guard let now = try await instance(id, region: region) else {
                return StepOutcome(summary: "\(id) is gone")
            }
            if now.chargeType == wanted { return StepOutcome(summary: "ChargeType already \(wanted)") }
            let response = try await sendAsIs()
            if let order = response.json["OrderId"].string { try context.operation("order \(order)") }
            return StepOutcome(summary: "billing change to \(wanted) ordered", requestId: response.requestId)
        case ("RemoveSubInstance", _):
            let id = try required("InstanceId")
            guard let now = try await instance(id, region: region), now.groupId != nil else {
                return StepOutcome(summary: "\(id) already stands alone")
            }
            let response = try await sendAsIs()
            return StepOutcome(summary: "removal of \(id) from its group started", requestId: response.requestId)
        case ("DeleteInstance", _):
            let id = try required("InstanceId")
            guard let now = try await instance(id, region: region), now.status != "Released", now.status != "Flushing"
            else { return StepOutcome(summary: "\(id) already released") }
            if now.groupId != request.text("GlobalInstanceId") {
                // A member is released with its group's id, and only with it: the plan must match what is.
                throw ProviderError(
                    source: .kvmove, code: "GroupChanged",
                    message: "\(id) is " + (now.groupId.map { "a member of \($0)" } ?? "in no distributed instance")
                        + " now, which the plan did not expect; nothing was released: run kvmove plan again")
            }
            do {
                let response = try await sendAsIs()
                return StepOutcome(summary: "release of \(id) started", requestId: response.requestId)
            } catch let error as ProviderError where AliyunErrorClassifier.isInstanceNotFound(error) {
                return StepOutcome(summary: "\(id) already released", requestId: error.requestId)
            }
        case (_, .read):
            return try await awaitRead(request, step: step, region: region, context: context)
        default:
            throw ProviderError.requestMismatch(request, step, source: .kvmove)
        }
    }

    private func createTarget(
        _ request: ProviderRequest, wire: [(name: String, value: String)], region: String?, context: StepContext
    ) async throws -> StepOutcome {
        // An instance already tagged for this migration is the target: a resumed apply must not create a second.
        let tagged = try await pages(
            "DescribeInstances", region: region ?? "",
            [("RegionId", region ?? ""), ("Tag.1.Key", Self.tagKey), ("Tag.1.Value", context.migration)]
        ) { $0["Instances"]["KVStoreInstance"].array }
        // The server filtered by the tag: an item that shows no tags at all is taken as tagged.
        if let existing = tagged.compactMap({ AliyunInstance($0) }).first(where: {
            ($0.tags[Self.tagKey] == context.migration || $0.tags.isEmpty) && $0.status != "Released"
                && $0.status != "Flushing"
        }) {
            return StepOutcome(
                groupId: request.text("GlobalInstanceId"), targetId: existing.id,
                summary: "target \(existing.id) already exists")
        }
        let response = try await kvstore(request.action, region: region, wire)
        if let id = response.requestId { try context.operation("request \(id)") }
        guard let id = response.json["InstanceId"].string, !id.isEmpty else {
            throw ProviderError(
                source: .aliyun, code: "InvalidResponse",
                message: "\(request.action) answered without an InstanceId; run apply again (the token makes the "
                    + "create return the same instance)",
                requestId: response.requestId, retry: .backoff)
        }
        try context.operation("instance \(id)")
        if let order = response.json["OrderId"].string { try context.operation("order \(order)") }
        return StepOutcome(
            groupId: request.text("GlobalInstanceId"), targetId: id, summary: "target \(id) ordered",
            requestId: response.requestId)
    }

    /// The instance `id` (DescribeInstanceAttribute), nil when it does not exist.
    func instance(_ id: String, region: String?) async throws(ProviderError) -> AliyunInstance? {
        do {
            let response = try await kvstore(
                "DescribeInstanceAttribute", region: region,
                [("RegionId", region ?? ""), ("InstanceId", id)].filter {
                    !$0.value.isEmpty
                })
            return response.json["Instances"]["DBInstanceAttribute"].elements.compactMap {
                AliyunInstance($0, from: .attribute)
            }.first { $0.id == id }
        } catch  where AliyunErrorClassifier.isInstanceNotFound(error) {
            return nil
        }
    }

    /// The whitelist groups of instance `id` (DescribeSecurityIps), name → addresses; nil when it does not exist.
    func securityIps(_ id: String, region: String?) async throws(ProviderError) -> [String: [String]]? {
        do {
            let response = try await kvstore(
                "DescribeSecurityIps", region: region,
                [("RegionId", region ?? ""), ("InstanceId", id)].filter { !$0.value.isEmpty })
            return Self.securityIpGroups(response.json)
        } catch  where AliyunErrorClassifier.isInstanceNotFound(error) {
            return nil
        }
    }

    /// `SecurityIpGroups.SecurityIpGroup[]` as name → addresses (the list is one comma-separated string).
    static func securityIpGroups(_ json: JSONValue) -> [String: [String]] {
        var groups: [String: [String]] = [:]
        for item in json["SecurityIpGroups"]["SecurityIpGroup"].array {
            guard let name = item["SecurityIpGroupName"].string else { continue }
            groups[name] = (item["SecurityIpList"].string ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        return groups
    }

    /// The distributed instance `id`, nil when it does not exist.
    func group(_ id: String, region: String?) async throws(ProviderError) -> GroupInfo? {
        do {
            let response = try await kvstore(
                "DescribeGlobalDistributeCache", region: region,
                [("RegionId", region ?? ""), ("GlobalInstanceId", id)].filter { !$0.value.isEmpty })
            return response.json["GlobalDistributeCaches"].elements.compactMap(GroupInfo.init).first { $0.id == id }
        } catch  where AliyunErrorClassifier.isGroupNotFound(error) {
            return nil
        }
    }
}
