import KVMoveCore

/// The machine-readable plan, designed as policy input; `docs/plan-json.md` is its contract.
///
/// Keys are snake_case. Readers accept any `format_version` with the major version they know
/// and ignore keys they do not recognize; minor bumps only add keys.
struct PlanJSONDocument: Codable, Hashable, Sendable {
    var formatVersion: String
    var toolVersion: String
    var createdAt: String
    var hasChanges: Bool
    var summary: Summary
    var warnings: [String]
    var migrations: [MigrationEntry]
    var steps: [StepEntry]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case toolVersion = "tool_version"
        case createdAt = "created_at"
        case hasChanges = "has_changes"
        case summary
        case warnings
        case migrations
        case steps
    }

    /// Builds the document from a plan; nothing is computed that the plan does not hold.
    init(_ plan: Plan) {
        formatVersion = plan.formatVersion
        toolVersion = plan.toolVersion
        createdAt = plan.createdAt
        hasChanges = plan.hasChanges
        let counts = plan.summary
        summary = Summary(create: counts.create, change: counts.change, release: counts.release, check: counts.check)
        warnings = plan.warnings
        migrations = plan.migrations.map(MigrationEntry.init)
        steps = plan.steps.map(StepEntry.init)
    }

    /// Step counts per action.
    struct Summary: Codable, Hashable, Sendable {
        var create: Int
        var change: Int
        var release: Int
        var check: Int
    }

    /// One migration: its spec's identity and stage, and what was observed.
    struct MigrationEntry: Codable, Hashable, Sendable {
        var name: String
        var provider: String
        /// The stage the spec asks for: `sync`, `cutover` or `complete`.
        var stage: String
        /// `not-started`, `syncing`, `cut-over` or `completed`.
        var observedStage: String
        /// The cloud site the provider works on (`china` or `international` for aliyun); absent otherwise.
        var site: String?
        var resources: Resources
        /// The observed facts the plan relies on; apply refuses the plan when one differs.
        var facts: [String: String]

        enum CodingKeys: String, CodingKey {
            case name
            case provider
            case site
            case stage
            case observedStage = "observed_stage"
            case resources
            case facts
        }

        init(_ migration: MigrationPlan) {
            name = migration.spec.name
            provider = migration.spec.provider
            site = migration.settings["site"]
            stage = migration.spec.stage.rawValue
            observedStage = migration.observedStage.rawValue
            resources = Resources(
                sourceId: migration.resources.sourceId,
                groupId: migration.resources.groupId,
                targetId: migration.resources.targetId
            )
            facts = migration.facts
        }
    }

    /// Resource ids known at plan time; `null` when not created yet.
    struct Resources: Codable, Hashable, Sendable {
        var sourceId: String
        var groupId: String?
        var targetId: String?

        enum CodingKeys: String, CodingKey {
            case sourceId = "source_id"
            case groupId = "group_id"
            case targetId = "target_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sourceId, forKey: .sourceId)
            try container.encode(groupId, forKey: .groupId)
            try container.encode(targetId, forKey: .targetId)
        }
    }

    /// One step, in apply order.
    struct StepEntry: Codable, Hashable, Sendable {
        var id: String
        var migration: String
        var kind: String
        /// `["create"]`, `["update"]`, `["delete"]` or `["check"]`: scan for `"delete"`.
        var actions: [String]
        var symbol: String
        var address: String
        var resourceType: String
        var resourceId: String?
        var change: Change
        /// The typed values apply will use (format 1.1).
        var plannedValues: PlannedValuesJSON
        var reasons: [String]
        var risks: [String]
        var dependsOn: [String]
        var destroysData: Bool

        enum CodingKeys: String, CodingKey {
            case id
            case migration
            case kind
            case actions
            case symbol
            case address
            case resourceType = "resource_type"
            case resourceId = "resource_id"
            case change
            case plannedValues = "planned_values"
            case reasons
            case risks
            case dependsOn = "depends_on"
            case destroysData = "destroys_data"
        }

        init(_ step: Step) {
            id = step.id
            migration = step.migration
            kind = step.kind.rawValue
            actions = [step.action.jsonAction]
            symbol = step.action.symbol
            address = step.address
            resourceType = step.resourceType
            resourceId = step.resourceId
            change = Change(before: step.before, after: step.after, afterUnknown: step.afterUnknown)
            plannedValues = PlannedValuesJSON(step.planned)
            reasons = step.reasons
            risks = step.risks
            dependsOn = step.dependsOn
            destroysData = step.destroysData
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(migration, forKey: .migration)
            try container.encode(kind, forKey: .kind)
            try container.encode(actions, forKey: .actions)
            try container.encode(symbol, forKey: .symbol)
            try container.encode(address, forKey: .address)
            try container.encode(resourceType, forKey: .resourceType)
            try container.encode(resourceId, forKey: .resourceId)
            try container.encode(change, forKey: .change)
            try container.encode(plannedValues, forKey: .plannedValues)
            try container.encode(reasons, forKey: .reasons)
            try container.encode(risks, forKey: .risks)
            try container.encode(dependsOn, forKey: .dependsOn)
            try container.encode(destroysData, forKey: .destroysData)
        }
    }

    /// Attribute values before and after the step; `null` for a create's before or a release's after.
    struct Change: Codable, Hashable, Sendable {
        var before: [String: String]?
        var after: [String: String]?
        /// Attributes whose value is only known after apply.
        var afterUnknown: [String]

        enum CodingKeys: String, CodingKey {
            case before
            case after
            case afterUnknown = "after_unknown"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(before, forKey: .before)
            try container.encode(after, forKey: .after)
            try container.encode(afterUnknown, forKey: .afterUnknown)
        }
    }
}
