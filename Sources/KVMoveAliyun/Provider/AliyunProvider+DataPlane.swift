import Foundation
import KVMoveCore
import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import Synchronization

extension AliyunProvider {
    /// Carries out a data-plane request: the sentinel round trip, verification, the idle gate.
    func sendDataPlane(_ request: ProviderRequest, step: Step, context: StepContext) async throws -> StepOutcome {
        let sourceId = request.text("SourceInstanceId") ?? request.text("InstanceId")
        guard let sourceId, let targetId = request.text("TargetInstanceId") else {
            throw ProviderError(
                source: .kvmove, code: "MissingParameter",
                message: "\(request.action) needs both instance ids; run plan again")
        }
        let connection = ConnectionSpec(
            passwordEnv: request.text("PasswordEnv"), username: request.text("Username"),
            address: ConnectionSpec.Address(rawValue: request.text("Address") ?? "private") ?? .private,
            tls: request.text("TLS").map {
                ConnectionTLS(caFile: request.text("CAFile"), verifyCertificate: $0 != "no-verify")
            },
            commandTimeoutSeconds: request.text("CommandTimeout").flatMap(DurationText.seconds))
        let source = try await endpoint(
            of: sourceId, region: context.settings[Self.sourceRegionSetting], connection: connection)
        let target = try await endpoint(
            of: targetId, region: context.settings[Self.targetRegionSetting], connection: connection)
        do {
            switch request.action {
            case "SentinelRoundTrip":
                return try await sentinelRoundTrip(source: source, target: target, context: context)
            case "Verify":
                return try await verify(source: source, target: target, request: request, context: context)
            case "WaitForIdleSource":
                guard case .gates(let planned) = step.planned else { break }
                let plane = DataPlane(source: source, target: target)
                let result = try await plane.waitForIdleSource(
                    for: .seconds(planned.requireIdleSourceSeconds ?? 0), pollInterval: .seconds(1)
                ) { progress in
                    context.progress(StepProgress(fraction: progress.fraction, message: progress.message))
                }
                return StepOutcome(summary: result.summary)
            case "WaitForLag":
                guard case .gates(let planned) = step.planned, let seconds = planned.maxLagSeconds else { break }
                let probe = SentinelLagProbe(source: source, target: target, key: "kvmove:lag:\(context.migration)")
                let sample = try await LagGate(maxLag: .seconds(seconds)).wait(
                    using: probe, interrupted: context.checkInterrupted,
                    progress: { context.progress(StepProgress(message: $0.message)) })
                return StepOutcome(summary: sample.message)
            default: break
            }
        } catch let failure as any DataPlaneFailure {
            throw dataPlaneError(failure, connection: connection)
        }
        throw ProviderError.requestMismatch(request, step, source: .kvmove)
    }

    /// Tags the target with the verification's result (`TagResources`), journaling the request id.
    ///
    /// A pass that cannot be recorded fails the step: otherwise every later plan would verify again
    /// without saying why.
    func recordVerification(_ record: VerificationTag, key: String, on targetId: String, context: StepContext)
        async throws
    {
        let region = context.settings[Self.targetRegionSetting] ?? context.settings[Self.sourceRegionSetting]
        let response: RPCSender.Response
        do {
            response = try await kvstore(
                "TagResources", region: region,
                [
                    ("RegionId", region ?? ""), ("ResourceType", "INSTANCE"), ("ResourceId.1", targetId),
                    ("Tag.1.Key", key), ("Tag.1.Value", record.value),
                ].filter { !$0.value.isEmpty })
        } catch {
            throw ProviderError(
                source: error.source, code: error.code,
                message: "the verification \(record.passed ? "passed" : "failed") (\(record.summary)), but recording "
                    + "it on \(targetId) failed: \(error.message); the account needs kvstore:TagResources "
                    + "(examples/aliyun/ram-policy.json); fix that and run apply again",
                requestId: error.requestId, retry: error.retry, retryAfterSeconds: error.retryAfterSeconds)
        }
        if let id = response.requestId { try context.operation("request \(id)") }
    }

    /// The error of a data-plane failure; an address that cannot be reached says what to do.
    func dataPlaneError(_ failure: any DataPlaneFailure, connection: ConnectionSpec) -> ProviderError {
        var message = failure.message
        if connection.tls != nil, failure.code.uppercased().contains("TLS") || failure.message.contains("certificate") {
            message +=
                "; check spec.connection.tls: the instance must have TLS (SSL) enabled, and its certificate must be "
                + "signed by the CA in spec.connection.tls.caFile (download it from the console) or by a system root"
        } else if connection.tls == nil, failure.code == "ConnectionClosed" || failure.code == "ProtocolError" {
            message += "; if the instance has TLS (SSL) enabled, set spec.connection.tls: true"
        }
        if ["WRONGPASS", "NOAUTH", "ERR"].contains(failure.code) && failure.message.lowercased().contains("pass") {
            let variable =
                connection.passwordEnv.map { "the password in \($0) (spec.connection.passwordEnv)" }
                ?? "no password (spec.connection.passwordEnv is not set)"
            message +=
                "; kvmove logs in to the source and the target with \(variable). A new member of a distributed "
                + "instance gets the source's accounts and passwords when it is created (documented, not guaranteed): "
                + "if the target's differ, set the same password on it in the console (Account Management), then run "
                + "apply again"
        }
        if ["ConnectionRefused", "Timeout", "HostNotFound", "ConnectionFailed"].contains(failure.code) {
            message +=
                connection.address == .private
                ? "; the private address is reachable only from inside the instance's VPC: run kvmove there "
                    + "(an ECS instance or a runner in that VPC), or set spec.connection.address: public "
                    + "(the instance needs a public endpoint and this machine's IP in its whitelist)"
                : "; check that the public endpoint exists and that this machine's IP is in the instance's whitelist"
        }
        return ProviderError(
            source: .redis, code: failure.code, message: message, retry: failure.isRetryable ? .backoff : .never,
            underlying: failure)
    }

    /// The address and login of instance `id`, from `DescribeDBInstanceNetInfo` and the password variable.
    func endpoint(of id: String, region: String?, connection: ConnectionSpec) async throws -> RedisEndpoint {
        let response = try await kvstore(
            "DescribeDBInstanceNetInfo", region: region,
            [("RegionId", region ?? ""), ("InstanceId", id)].filter { !$0.value.isEmpty })
        let items = response.json["NetInfoItems"]["InstanceNetInfo"].elements
        let wanted = connection.address == .public ? "Public" : "Private"
        // A classic-network instance reports `Inner`; the private address of a VPC instance is `Private`.
        let item =
            items.first { $0["IPType"].string == wanted }
            ?? (connection.address == .private ? items.first { $0["IPType"].string == "Inner" } : nil)
        guard let item, let host = item["ConnectionString"].string ?? item["IPAddress"].string,
            let port = item["Port"].int
        else {
            throw ProviderError(
                source: .aliyun, code: "NoAddress",
                message: "\(id) has no \(wanted.lowercased()) address (DescribeDBInstanceNetInfo lists "
                    + items.compactMap { $0["IPType"].string }.joined(separator: ", ") + "); "
                    + (connection.address == .public
                        ? "allocate a public endpoint in the console (or AllocateInstancePublicConnection), or use "
                            + "spec.connection.address: private from inside the VPC"
                        : "set spec.connection.address: public"),
                requestId: response.requestId)
        }
        var password: Secret?
        if let name = connection.passwordEnv {
            guard let value = environment[name], !value.isEmpty else {
                throw ProviderError(
                    source: .kvmove, code: "PasswordNotSet",
                    message: "spec.connection.passwordEnv names \(name), but that environment variable is not set; "
                        + "export it with the password of the account both instances share")
            }
            password = Secret(value)
        }
        let tls: RedisEndpoint.TLS =
            connection.tls.map {
                // The host is the instance's connection string, so the certificate is checked against that name.
                .on(serverName: nil, caCertificateFile: $0.caFile, verifyCertificate: $0.verifyCertificate)
            } ?? .off
        var endpoint = RedisEndpoint(
            host: host, port: port, username: connection.username, password: password, tls: tls)
        if let seconds = connection.commandTimeoutSeconds { endpoint.commandTimeout = .seconds(seconds) }
        return endpoint
    }

    /// Writes a sentinel key on the source and waits until the target has it, showing both key counts.
    private func sentinelRoundTrip(source: RedisEndpoint, target: RedisEndpoint, context: StepContext) async throws
        -> StepOutcome
    {
        let key = "kvmove:sentinel:\(context.migration)"
        let value = "\(context.idempotencyToken)-\(UInt64(Date().timeIntervalSince1970 * 1000))"
        return try await source.withConnections(and: target, role: ClientRole("sentinel")) {
            sourceConnection, targetConnection in
            _ = try await sourceConnection.send(
                RESPCommand("SET", RESPArgument(key), RESPArgument(value), "PX", 600_000))
            let started = ContinuousClock.now
            var interval = Duration.milliseconds(200)
            while true {
                try context.checkInterrupted()
                let seen = try await targetConnection.send(RESPCommand("GET", RESPArgument(key))).string
                let sourceKeys = try await sourceConnection.send(RESPCommand("DBSIZE")).int ?? 0
                let targetKeys = try await targetConnection.send(RESPCommand("DBSIZE")).int ?? 0
                if seen == value {
                    _ = try await sourceConnection.send(RESPCommand("DEL", RESPArgument(key)))
                    // The deletion travels through the channel too: wait for it, so that the verification
                    // that follows does not find the sentinel as an extra key on the target.
                    let deadline = ContinuousClock.now + .seconds(30)
                    while try await targetConnection.send(RESPCommand("EXISTS", RESPArgument(key))).int == 1,
                        ContinuousClock.now < deadline
                    {
                        try context.checkInterrupted()
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    let seconds =
                        Double((ContinuousClock.now - started).components.attoseconds) / 1e18
                        + Double((ContinuousClock.now - started).components.seconds)
                    return StepOutcome(
                        summary: "a key written on the source reached the target in "
                            + String(format: "%.1f", seconds) + " s (keys: source \(sourceKeys), target \(targetKeys))")
                }
                context.progress(
                    StepProgress(
                        fraction: sourceKeys > 0 ? min(1, Double(targetKeys) / Double(sourceKeys)) : nil,
                        message:
                            "initializing: target \(targetKeys) of \(sourceKeys) keys; waiting for the sentinel key"))
                try await Task.sleep(for: interval)
                interval = min(.seconds(5), interval * 2)
            }
        }
    }

    private func verify(source: RedisEndpoint, target: RedisEndpoint, request: ProviderRequest, context: StepContext)
        async throws -> StepOutcome
    {
        let tolerance = request.text("TTLToleranceMs").flatMap(Int.init) ?? 2000
        let rate = request.text("MaxReadsPerSecond").flatMap(Int.init) ?? VerifySpec.defaultMaxReadsPerSecond
        let plane = DataPlane(source: source, target: target)
        let throttle = ProgressThrottle(every: .milliseconds(250))
        let options = Verifier.Options(ttlToleranceMilliseconds: tolerance, maxReadsPerSecond: rate)
        let report = try await plane.verify(options: options) {
            done, total in
            guard throttle.shouldReport(done: done, total: total) else { return }
            context.progress(
                StepProgress(
                    fraction: total > 0 ? min(1, Double(done) / Double(total)) : nil,
                    message: "verifying: \(done) of \(total) keys"))
        }
        let directory = URL(fileURLWithPath: context.stateDirectory ?? ".kvmove").appendingPathComponent("reports")
        let finished = Date()
        let file = try report.write(toDirectory: directory, migration: context.migration, date: finished)
        let shown = DisplayPath.relative(file.path)
        if let key = request.text("RecordTag"), let targetId = request.text("TargetInstanceId") {
            let record = VerificationTag(passed: report.passed, at: ISO8601.string(finished), summary: report.summary)
            try await recordVerification(record, key: key, on: targetId, context: context)
        }
        guard report.passed else {
            throw ProviderError(
                source: .redis, code: "VerificationFailed",
                message: "verification failed: \(report.summary); report: \(shown)")
        }
        return StepOutcome(summary: "\(report.summary); report: \(shown)")
    }
}
