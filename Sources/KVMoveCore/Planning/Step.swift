/// One planned step: a single provider operation (or wait/check) on one resource.
package struct Step: Codable, Hashable, Sendable, Identifiable {
    /// `<migration>/<kind>`, unique within a plan.
    package var id: String
    package var migration: String
    package var kind: StepKind
    /// The resource it touches, such as `orders-cache.target`.
    package var address: String
    /// What the resource is: `instance` or `group`.
    package var resourceType: String
    /// The resource id when known before apply.
    package var resourceId: String?
    /// Attribute values before the step, for display only (nil for creates).
    package var before: [String: String]?
    /// Attribute values after the step, for display only (nil for releases).
    package var after: [String: String]?
    /// What the step will apply, typed: the only values apply reads.
    package var planned: PlannedValues
    /// Attributes whose value is only known after apply, for display only.
    package var afterUnknown: [String]
    /// Why this step is needed, for display only.
    package var reasons: [String]
    /// What can go wrong or what users will notice, for display only.
    package var risks: [String]
    /// Ids of the steps that must finish first.
    package var dependsOn: [String]
    /// True when the step deletes a resource with data in it.
    package var destroysData: Bool

    package init(
        migration: String,
        kind: StepKind,
        address: String,
        resourceType: String,
        resourceId: String? = nil,
        before: [String: String]? = nil,
        after: [String: String]? = nil,
        planned: PlannedValues,
        afterUnknown: [String] = [],
        reasons: [String] = [],
        risks: [String] = [],
        dependsOn: [String] = [],
        destroysData: Bool = false
    ) {
        self.id = "\(migration)/\(kind.rawValue)"
        self.migration = migration
        self.kind = kind
        self.address = address
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.before = before
        self.after = after
        self.planned = planned
        self.afterUnknown = afterUnknown
        self.reasons = reasons
        self.risks = risks
        self.dependsOn = dependsOn
        self.destroysData = destroysData
    }

    /// The step's action, derived from its kind.
    package var action: StepAction { kind.action }

    /// The Terraform-style header, such as `orders-cache.target will be created`.
    package var headline: String {
        switch kind {
        case .upgradeSourceMinorVersion: "\(address) minor version will be upgraded"
        case .createGroup: "\(address) will be created from the source"
        case .createTarget: "\(address) will be created and join the group"
        case .renameTarget: "\(address) will be renamed"
        case .setTargetSecurityIps: "\(address) whitelist groups will be set"
        case .changeTargetBilling: "\(address) billing will be changed"
        case .waitFullSync: "\(address) full sync will be awaited"
        case .verifyData: "\(address) data will be verified against the source"
        case .checkCutoverGates: "\(address) cutover gates will be checked"
        case .disconnectSync: "\(address) will leave the group (sync disconnected, data kept)"
        case .releaseSource: "\(address) will be released"
        case .releaseGroup: "\(address) will be released"
        }
    }
}
