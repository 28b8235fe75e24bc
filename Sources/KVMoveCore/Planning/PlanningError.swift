/// Why the planner refused: one ``Refusal`` per problem, across all migrations.
package struct PlanningError: Error, Sendable, CustomStringConvertible {
    package var refusals: [Refusal]

    package init(_ refusals: [Refusal]) {
        self.refusals = refusals
    }

    /// The refusals as diagnostics (`file:line:col: error: …`).
    package var diagnostics: [Diagnostic] { refusals.map(\.diagnostic) }

    package var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// One reason a migration cannot be planned, with what to do about it.
package struct Refusal: Hashable, Sendable, Codable {
    /// Stable machine-readable reason.
    package enum Code: String, Hashable, Sendable, Codable, CaseIterable {
        case sourceNotFound = "source-not-found"
        case sourceAlreadyBound = "source-already-bound"
        case targetNameTaken = "target-name-taken"
        case targetZoneEqualsSource = "target-zone-equals-source"
        case vpcNotFound = "vpc-not-found"
        case vSwitchNotFound = "vswitch-not-found"
        case vSwitchNotInZone = "vswitch-not-in-zone"
        case vSwitchNotInVPC = "vswitch-not-in-vpc"
        case prePaidWithoutPeriod = "prepaid-without-period"
        case stageRegression = "stage-regression"
        case wouldDestroyTarget = "would-destroy-target"
        case syncFailed = "sync-failed"
        case sourceCannotJoinGroup = "source-cannot-join-group"
        case groupFull = "group-full"
        case targetZoneUsedByMember = "target-zone-used-by-member"
        case targetSpecDiffers = "target-spec-differs"
        case prePaidSourceRelease = "prepaid-source-release"
        case billingPeriodNotForChange = "billing-period-not-for-change"
        case stepUnsupportedHere = "step-unsupported-here"
    }

    package var migration: String
    package var code: Code
    package var message: String
    package var location: SourceLocation?

    package init(migration: String, code: Code, message: String, location: SourceLocation?) {
        self.migration = migration
        self.code = code
        self.message = message
        self.location = location
    }

    package var diagnostic: Diagnostic {
        Diagnostic(.error, "migration \"\(migration)\": \(message)", at: location)
    }
}
