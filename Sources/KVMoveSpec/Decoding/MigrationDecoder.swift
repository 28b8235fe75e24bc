import Foundation
import KVMoveCore

/// Decodes the body of a `kind: Migration` document into a ``MigrationSpec``.
///
/// Every field is read and checked even after a problem, so one run reports everything that is
/// wrong with the document. The keys and rules here are the ones `schemas/migration.schema.json`
/// describes; change both together.
struct MigrationDecoder {
    /// Billing types, as the cloud spells them.
    static let billingTypes = ["PostPaid", "PrePaid"]

    var context: DecodingContext

    /// Decodes the document whose top level is `root`; `apiVersion` and `kind` were checked already.
    mutating func decode(_ root: MappingReader) -> MigrationSpec? {
        let errorsBefore = context.diagnostics.errorCount
        root.checkKeys(allowed: ["apiVersion", "kind", "metadata", "spec"], diagnostics: &context.diagnostics)
        let name = root.required("metadata", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "metadata") }
            .flatMap { decodeMetadata($0) }
        let body = root.required("spec", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "spec") }
            .flatMap { decodeSpec($0) }
        guard let name, let body, context.diagnostics.errorCount == errorsBefore else { return nil }
        var spec = body
        spec.name = name
        return spec
    }

    private mutating func decodeMetadata(_ metadata: MappingReader) -> String? {
        metadata.checkKeys(allowed: ["name"], diagnostics: &context.diagnostics)
        guard let entry = metadata.required("name", diagnostics: &context.diagnostics),
            let name = context.string(entry, path: "metadata.name"),
            context.check(NameRules.checkMigrationName(name, path: "metadata.name"), at: entry)
        else { return nil }
        return name
    }

    private mutating func decodeSpec(_ spec: MappingReader) -> MigrationSpec? {
        spec.checkKeys(
            allowed: ["provider", "source", "target", "activeActive", "cutover", "connection", "verify", "stage"],
            diagnostics: &context.diagnostics
        )
        let provider = spec.required("provider", diagnostics: &context.diagnostics)
            .flatMap { context.oneOf(SpecProviders.names, $0, path: "spec.provider") }
        let source = spec.required("source", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "spec.source") }
            .flatMap { decodeSource($0) }
        let target = spec.required("target", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "spec.target") }
            .flatMap { decodeTarget($0) }
        let group = spec.required("activeActive", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "spec.activeActive") }
            .flatMap { decodeGroup($0) }
        var cutover: CutoverSpec? = CutoverSpec()
        if let entry = spec.entry("cutover") {
            let reader = context.mapping(entry, path: "spec.cutover")
            cutover = reader.flatMap { decodeCutover($0) }
            if provider == "aliyun", cutover?.requireNoSourceWritesSeconds != nil,
                let gate = reader?.entry("requireNoSourceWrites")
            {
                // The cloud's channel writes to the source over a connection kvmove cannot see: no count of
                // the application's writes alone exists there.
                context.diagnostics.report(
                    "spec.cutover.requireNoSourceWrites is not available with provider aliyun: the cloud's channel "
                        + "writes the target's writes to the source, and kvmove cannot tell them from an "
                        + "application's. Use requireIdleSource (no application connected) instead",
                    at: gate.keyNode)
                cutover = nil
            }
        }
        if provider == "local", target?.securityIps != nil,
            let entry = spec.entry("target")?.value.entries?.first(where: { $0.key == "securityIps" })
        {
            context.diagnostics.report(
                "spec.target.securityIps is only for provider aliyun: the sandbox's servers listen on 127.0.0.1 and "
                    + "have no whitelist; remove it for the sandbox",
                at: entry.keyNode)
        }
        var connection: ConnectionSpec?? = .some(nil)
        if let entry = spec.entry("connection") {
            connection = context.mapping(entry, path: "spec.connection").map {
                decodeConnection($0, provider: provider)
            }
        }
        var verify: VerifySpec?? = .some(nil)
        if let entry = spec.entry("verify") {
            verify = context.mapping(entry, path: "spec.verify").map { decodeVerify($0) }
        }
        let stage = spec.required("stage", diagnostics: &context.diagnostics)
            .flatMap { context.oneOf(Stage.allCases.map(\.rawValue), $0, path: "spec.stage") }
            .flatMap(Stage.init(rawValue:))
        guard let provider, let source, let target, let group, let cutover, let connection, let verify, let stage
        else {
            return nil
        }
        return MigrationSpec(
            name: "",
            provider: provider,
            source: source,
            target: target,
            activeActive: group,
            cutover: cutover,
            stage: stage,
            connection: connection,
            verify: verify
        )
    }

    /// `spec.verify`: `maxReadsPerSecond`, a whole number from 1 up; nil after reporting a problem.
    private mutating func decodeVerify(_ verify: MappingReader) -> VerifySpec? {
        verify.checkKeys(allowed: ["maxReadsPerSecond"], diagnostics: &context.diagnostics)
        var result = VerifySpec()
        guard let entry = verify.entry("maxReadsPerSecond") else { return result }
        let path = "spec.verify.maxReadsPerSecond"
        guard let rate = context.integer(entry, path: path) else { return nil }
        guard rate >= 1 else {
            context.diagnostics.report(
                "\(path) must be at least 1 (reads on the source per second), found \(rate); "
                    + "omit it for the default, \(VerifySpec.defaultMaxReadsPerSecond)",
                at: entry.value)
            return nil
        }
        result.maxReadsPerSecond = rate
        return result
    }

    private mutating func decodeSource(_ source: MappingReader) -> SourceSpec? {
        source.checkKeys(allowed: ["region", "instanceId", "whenPrePaid"], diagnostics: &context.diagnostics)
        var whenPrePaid: PrePaidSourcePolicy?? = .some(nil)
        if let entry = source.entry("whenPrePaid") {
            whenPrePaid = context.oneOf(
                PrePaidSourcePolicy.allCases.map(\.rawValue), entry, path: "spec.source.whenPrePaid"
            )
            .map(PrePaidSourcePolicy.init(rawValue:))
        }
        let region = context.requiredString(source, "region") { NameRules.checkNonEmpty($0, path: $1) }
        let instanceID = context.requiredString(source, "instanceId") {
            NameRules.checkID($0, prefix: "r-", example: "r-bp1zxszhcgatnx0001", what: "an instance", path: $1)
        }
        guard let region, let instanceID, let whenPrePaid else { return nil }
        return SourceSpec(region: region, instanceId: instanceID, whenPrePaid: whenPrePaid)
    }

    private mutating func decodeTarget(_ target: MappingReader) -> TargetSpec? {
        target.checkKeys(
            allowed: ["region", "zone", "vpcId", "vSwitchId", "instanceName", "billing", "securityIps"],
            diagnostics: &context.diagnostics
        )
        let region = context.requiredString(target, "region") { NameRules.checkNonEmpty($0, path: $1) }
        let zone = context.requiredString(target, "zone") { NameRules.checkNonEmpty($0, path: $1) }
        let vpcID = context.requiredString(target, "vpcId") {
            NameRules.checkID($0, prefix: "vpc-", example: "vpc-bp1app0001", what: "a VPC", path: $1)
        }
        let vSwitchID = context.requiredString(target, "vSwitchId") {
            NameRules.checkID($0, prefix: "vsw-", example: "vsw-bp1app0001", what: "a vSwitch", path: $1)
        }
        let instanceName = context.requiredString(target, "instanceName") { NameRules.checkResourceName($0, path: $1) }
        let billing = target.required("billing", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "spec.target.billing") }
            .flatMap { context.billing($0) }
        var securityIps: [String: [String]]?? = .some(nil)
        if let entry = target.entry("securityIps") {
            securityIps = context.mapping(entry, path: "spec.target.securityIps").map { decodeSecurityIps($0) }
        }
        guard let region, let zone, let vpcID, let vSwitchID, let instanceName, let billing, let securityIps else {
            return nil
        }
        return TargetSpec(
            region: region,
            zone: zone,
            vpcId: vpcID,
            vSwitchId: vSwitchID,
            instanceName: instanceName,
            billing: billing,
            securityIps: securityIps
        )
    }

    /// Whitelist groups: group name → a list of IPv4 addresses and CIDR blocks (ModifySecurityIps' rules).
    ///
    /// Returns `.some(nil)` when a group is wrong (after reporting), so the spec is refused as a whole.
    private mutating func decodeSecurityIps(_ groups: MappingReader) -> [String: [String]]? {
        var result: [String: [String]] = [:]
        var failed = false
        for entry in groups.entries {
            let path = groups.path(of: entry.key)
            context.record(path, entry)
            if let problem = NameRules.checkSecurityIpGroupName(entry.key, path: path) {
                context.diagnostics.report(problem, at: entry.keyNode)
                failed = true
                continue
            }
            guard case .sequence(let nodes) = entry.value.value else {
                context.diagnostics.report(
                    "\(path) must be a list of IPv4 addresses or CIDR blocks, found \(entry.value.foundDescription)",
                    at: entry.value)
                failed = true
                continue
            }
            if nodes.isEmpty || nodes.count > NameRules.maxSecurityIpsPerGroup {
                context.diagnostics.report(
                    "\(path) must hold 1 to \(NameRules.maxSecurityIpsPerGroup) addresses, found \(nodes.count)",
                    at: entry.value)
                failed = true
                continue
            }
            var addresses: [String] = []
            for (index, node) in nodes.enumerated() {
                guard let scalar = node.scalar, !scalar.isPoisoned else {
                    context.diagnostics.report(
                        "\(path)[\(index)] must be an IPv4 address or CIDR block, found \(node.foundDescription)",
                        at: node)
                    failed = true
                    continue
                }
                if let problem = NameRules.checkSecurityIp(scalar.text, path: "\(path)[\(index)]") {
                    context.diagnostics.report(problem, at: node)
                    failed = true
                } else if addresses.contains(scalar.text) {
                    context.diagnostics.report("\(path)[\(index)] repeats \(scalar.text); list it once", at: node)
                    failed = true
                } else {
                    addresses.append(scalar.text)
                }
            }
            result[entry.key] = addresses
        }
        return failed ? nil : result
    }

    private mutating func decodeGroup(_ group: MappingReader) -> GroupSpec? {
        group.checkKeys(allowed: ["name"], diagnostics: &context.diagnostics)
        let name = context.requiredString(group, "name") { NameRules.checkResourceName($0, path: $1) }
        return name.map(GroupSpec.init(name:))
    }

    /// `spec.connection`: `passwordEnv` (an environment variable name), `username`, `address` (private | public),
    /// `tls` (a boolean, or a mapping with `caFile` and `verifyCertificate`), `commandTimeout` and
    /// `replicationTimeout` (durations).
    private mutating func decodeConnection(_ connection: MappingReader, provider: String?) -> ConnectionSpec? {
        connection.checkKeys(
            allowed: ["passwordEnv", "username", "address", "tls", "commandTimeout", "replicationTimeout"],
            diagnostics: &context.diagnostics)
        var result = ConnectionSpec()
        var ok = true
        if let entry = connection.entry("passwordEnv") {
            if let name = context.string(entry, path: "spec.connection.passwordEnv") {
                if Self.isEnvironmentName(name) {
                    result.passwordEnv = name
                } else {
                    ok = false
                    context.diagnostics.report(
                        "spec.connection.passwordEnv must name an environment variable (letters, digits and _, "
                            + "not starting with a digit), found \(quoted(name)); put the password in that variable, "
                            + "never in the spec",
                        at: entry.value)
                }
            } else {
                ok = false
            }
        }
        if let entry = connection.entry("username") {
            if let name = context.string(entry, path: "spec.connection.username"), !name.isEmpty {
                result.username = name
            } else {
                ok = false
            }
        }
        if let entry = connection.entry("address") {
            if let text = context.oneOf(
                ConnectionSpec.Address.allCases.map(\.rawValue), entry, path: "spec.connection.address"),
                let address = ConnectionSpec.Address(rawValue: text)
            {
                result.address = address
            } else {
                ok = false
            }
        }
        if let entry = connection.entry("tls") {
            switch decodeTLS(entry) {
            case .some(let tls): result.tls = tls
            case .none: ok = false
            }
        }
        if let entry = connection.entry("commandTimeout") {
            if let seconds = positiveDuration(entry, path: "spec.connection.commandTimeout") {
                result.commandTimeoutSeconds = seconds
            } else {
                ok = false
            }
        }
        if let entry = connection.entry("replicationTimeout") {
            let path = "spec.connection.replicationTimeout"
            if provider == "aliyun" {
                // The cloud runs the sync channel: kvmove never reads a replication stream there.
                ok = false
                context.diagnostics.report(
                    "\(path) is only for provider local: with aliyun the cloud's channel replicates, and kvmove reads "
                        + "no replication stream; remove it (spec.connection.commandTimeout bounds kvmove's own "
                        + "commands)",
                    at: entry.keyNode)
            } else if let seconds = positiveDuration(entry, path: path) {
                let minimum = ConnectionSpec.minimumReplicationTimeoutSeconds
                if seconds < minimum {
                    ok = false
                    context.diagnostics.report(
                        "\(path) must be at least \(minimum)s, longer than the 10s a primary waits between the pings "
                            + "it sends an idle replica (repl-ping-replica-period), found \(quoted(entry.value.scalar?.text ?? ""))",
                        at: entry.value)
                } else {
                    result.replicationTimeoutSeconds = seconds
                }
            } else {
                ok = false
            }
        }
        return ok ? result : nil
    }

    /// Decodes `spec.connection.tls`; `.some(nil)` for `false`, nil after reporting a problem.
    ///
    /// `true` verifies against the system's trust roots, `false` is plain TCP, and a mapping has `caFile`
    /// (a PEM file, relative to the spec file) and `verifyCertificate` (default true).
    private mutating func decodeTLS(_ entry: SpecEntry) -> ConnectionTLS?? {
        let path = "spec.connection.tls"
        if let scalar = entry.value.scalar {
            guard case .boolean = scalar.kind else {
                context.record(path, entry)
                context.diagnostics.report(
                    "\(path) must be true, false, or a mapping with caFile and verifyCertificate, found "
                        + quoted(scalar.text),
                    at: entry.value)
                return nil
            }
            return context.boolean(entry, path: path).map { $0 ? ConnectionTLS() : nil }
        }
        guard let tls = context.mapping(entry, path: path) else { return nil }
        tls.checkKeys(allowed: ["caFile", "verifyCertificate"], diagnostics: &context.diagnostics)
        var result = ConnectionTLS()
        var ok = true
        if let file = tls.entry("caFile") {
            if let name = context.string(file, path: "\(path).caFile"), !name.isEmpty {
                let directory = URL(fileURLWithPath: context.diagnostics.file).deletingLastPathComponent()
                let resolved =
                    name.hasPrefix("/") ? name : directory.appendingPathComponent(name).standardizedFileURL.path
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue {
                    result.caFile = resolved
                } else {
                    ok = false
                    context.diagnostics.report(
                        "\(path).caFile names \(quoted(name)), which is not a file (looked for \(resolved)); give the "
                            + "PEM file of the CA certificate, relative to this spec file",
                        at: file.value)
                }
            } else {
                ok = false
            }
        }
        if let verify = tls.entry("verifyCertificate") {
            if let value = context.boolean(verify, path: "\(path).verifyCertificate") {
                result.verifyCertificate = value
            } else {
                ok = false
            }
        }
        return ok ? .some(result) : nil
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
        }
    }

    private mutating func decodeCutover(_ cutover: MappingReader) -> CutoverSpec? {
        cutover.checkKeys(
            allowed: ["requireIdleSource", "requireNoSourceWrites", "maxLag"], diagnostics: &context.diagnostics)
        var result = CutoverSpec()
        var ok = true
        for (key, field) in [
            ("requireIdleSource", \CutoverSpec.requireIdleSourceSeconds),
            ("requireNoSourceWrites", \CutoverSpec.requireNoSourceWritesSeconds),
        ] {
            guard let entry = cutover.entry(key) else { continue }
            if let gate = context.mapping(entry, path: "spec.cutover.\(key)") {
                gate.checkKeys(allowed: ["for"], diagnostics: &context.diagnostics)
                if let forEntry = gate.required("for", diagnostics: &context.diagnostics),
                    let seconds = positiveDuration(forEntry, path: "spec.cutover.\(key).for")
                {
                    result[keyPath: field] = seconds
                } else {
                    ok = false
                }
            } else {
                ok = false
            }
        }
        if let entry = cutover.entry("maxLag") {
            if let seconds = positiveDuration(entry, path: "spec.cutover.maxLag") {
                result.maxLagSeconds = seconds
            } else {
                ok = false
            }
        }
        return ok ? result : nil
    }

    /// A duration like `30s`, `5m` or `1h30m`, greater than zero, in seconds; nil after a diagnostic.
    private mutating func positiveDuration(_ entry: SpecEntry, path: String) -> Int? {
        if let scalar = entry.value.scalar, scalar.kind != .string, !scalar.isPoisoned {
            context.record(path, entry)
            context.diagnostics.report(
                "\(path) must be a duration like 30s, 5m or 1h30m, found \(scalar.foundDescription)",
                at: entry.value
            )
            return nil
        }
        guard let text = context.string(entry, path: path) else { return nil }
        guard let seconds = DurationText.seconds(text) else {
            context.diagnostics.report(
                "\(path) must be a duration like 30s, 5m or 1h30m, found \(quoted(text))",
                at: entry.value
            )
            return nil
        }
        guard seconds > 0 else {
            context.diagnostics.report("\(path) must be greater than zero, found \(quoted(text))", at: entry.value)
            return nil
        }
        return seconds
    }
}
