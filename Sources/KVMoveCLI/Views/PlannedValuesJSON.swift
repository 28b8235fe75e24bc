import KVMoveCore

/// A step's planned values in the JSON plan: `{"kind": …, snake_case fields}`; docs/plan-json.md.
///
/// Ids that are only known after apply are `null`. Billing is `{"type": "PostPaid"}` or
/// `{"type": "PrePaid", "period_months": N, "auto_renew": B}`.
struct PlannedValuesJSON: Codable, Hashable, Sendable {
    var fields: [String: JSONScalar]

    init(_ planned: PlannedValues) {
        var f: [String: JSONScalar] = [:]
        func put(_ key: String, _ value: String?) { f[key] = value.map(JSONScalar.string) ?? .null }
        func billing(_ billing: Billing) {
            f["billing_type"] = .string(billing.chargeType)
            if case .prePaid(let months, let autoRenew) = billing {
                f["billing_period_months"] = months.map { .int($0) } ?? .null
                f["billing_auto_renew"] = .bool(autoRenew)
            }
        }
        func tags(_ tags: [String: String]) {
            f["tags"] = .object(tags)
        }
        /// `connection`: the password variable's name (never the password), the username, the address, TLS and the
        /// timeouts, when given.
        func connection(_ connection: ConnectionSpec?) {
            guard let connection else { return }
            var object = ["address": connection.address.rawValue]
            if let name = connection.passwordEnv { object["password_env"] = name }
            if let username = connection.username { object["username"] = username }
            if let tls = connection.tls {
                object["tls"] = "on"
                if let file = tls.caFile { object["tls_ca_file"] = file }
                object["tls_verify_certificate"] = String(tls.verifyCertificate)
            }
            if let seconds = connection.commandTimeoutSeconds { object["command_timeout"] = "\(seconds)s" }
            if let seconds = connection.replicationTimeoutSeconds { object["replication_timeout"] = "\(seconds)s" }
            f["connection"] = .object(object)
        }
        switch planned {
        case .upgradeMinorVersion(let p):
            put("kind", "upgrade_minor_version")
            put("instance_id", p.instanceId)
            put("from_minor_version", p.fromMinorVersion)
        case .group(let p):
            put("kind", "group")
            put("name", p.name)
            put("seed_instance_id", p.seedInstanceId)
            put("region", p.region)
            tags(p.tags)
        case .target(let p):
            put("kind", "target")
            put("name", p.name)
            put("region", p.region)
            put("zone", p.zone)
            put("vpc_id", p.vpcId)
            put("vswitch_id", p.vSwitchId)
            billing(p.billing)
            put("instance_class", p.instanceClass)
            put("engine_version", p.engineVersion)
            f["shard_count"] = p.shardCount.map { .int($0) } ?? .null
            put("source_instance_id", p.sourceInstanceId)
            put("group_id", p.groupId)
            tags(p.tags)
        case .rename(let p):
            put("kind", "rename")
            put("instance_id", p.instanceId)
            put("name", p.name)
        case .billing(let p):
            put("kind", "billing")
            put("instance_id", p.instanceId)
            billing(p.billing)
        case .fullSync(let p):
            put("kind", "full_sync")
            put("source_instance_id", p.sourceInstanceId)
            put("target_instance_id", p.targetInstanceId)
            put("group_id", p.groupId)
            connection(p.connection)
        case .verification(let p):
            put("kind", "verification")
            put("source_instance_id", p.sourceInstanceId)
            put("target_instance_id", p.targetInstanceId)
            f["ttl_tolerance_ms"] = .int(p.ttlToleranceMilliseconds)
            f["max_reads_per_second"] = .int((p.verify ?? VerifySpec()).maxReadsPerSecond)
            connection(p.connection)
        case .gates(let p):
            put("kind", "gates")
            put("source_instance_id", p.sourceInstanceId)
            put("target_instance_id", p.targetInstanceId)
            f["require_idle_source_seconds"] = p.requireIdleSourceSeconds.map { .int($0) } ?? .null
            f["max_lag_seconds"] = p.maxLagSeconds.map { .int($0) } ?? .null
            f["require_no_source_writes_seconds"] = p.requireNoSourceWritesSeconds.map { .int($0) } ?? .null
            connection(p.connection)
        case .disconnect(let p):
            put("kind", "disconnect")
            put("target_instance_id", p.targetInstanceId)
            put("group_id", p.groupId)
        case .releaseInstance(let p):
            put("kind", "release_instance")
            put("instance_id", p.instanceId)
            put("group_id", p.groupId)
            if p.convertToPostPaid == true { f["convert_to_postpaid"] = .bool(true) }
            if p.inPlannedGroup == true { f["in_planned_group"] = .bool(true) }
        case .releaseGroup(let p):
            put("kind", "release_group")
            put("group_id", p.groupId)
            put("name", p.name)
        case .securityIps(let p):
            put("kind", "security_ips")
            put("instance_id", p.instanceId)
            f["groups"] = .object(p.groups.mapValues { $0.joined(separator: ",") })
        }
        fields = f
    }

    init(from decoder: any Decoder) throws {
        fields = try [String: JSONScalar](from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
    }
}

/// A planned value in JSON: string, integer, boolean, null, or a string map (tags).
enum JSONScalar: Codable, Hashable, Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case object([String: String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode([String: String].self) {
            self = .object(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .object(let value): try container.encode(value)
        }
    }
}
