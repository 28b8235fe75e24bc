/// Every kind of step a migration can need, in the order of DESIGN.md §1.
package enum StepKind: String, Codable, Hashable, Sendable, CaseIterable {
    case upgradeSourceMinorVersion = "upgrade-source-minor-version"
    case createGroup = "create-group"
    case createTarget = "create-target"
    case setTargetSecurityIps = "set-target-security-ips"
    case renameTarget = "rename-target"
    case changeTargetBilling = "change-target-billing"
    case waitFullSync = "wait-full-sync"
    case verifyData = "verify-data"
    case checkCutoverGates = "check-cutover-gates"
    case disconnectSync = "disconnect-sync"
    case releaseSource = "release-source"
    case releaseGroup = "release-group"

    /// What the step does to its resource.
    package var action: StepAction {
        switch self {
        case .createGroup, .createTarget: .create
        case .upgradeSourceMinorVersion, .renameTarget, .changeTargetBilling, .disconnectSync,
            .setTargetSecurityIps:
            .change
        case .releaseSource, .releaseGroup: .release
        case .waitFullSync, .verifyData, .checkCutoverGates: .check
        }
    }

    /// How long the applier lets one step of this kind run before giving up.
    package var defaultTimeoutSeconds: Int {
        switch self {
        case .upgradeSourceMinorVersion: 30 * 60
        case .createGroup: 20 * 60
        case .createTarget: 60 * 60
        case .renameTarget, .changeTargetBilling, .setTargetSecurityIps: 10 * 60
        case .waitFullSync: 24 * 60 * 60
        case .verifyData: 6 * 60 * 60
        case .checkCutoverGates: 60 * 60
        case .disconnectSync: 20 * 60
        case .releaseSource, .releaseGroup: 20 * 60
        }
    }
}

/// The four things a step can do, with Terraform-style symbols.
package enum StepAction: String, Codable, Hashable, Sendable, CaseIterable {
    case create
    case change
    case release
    case check

    /// `+`, `~`, `-` or `>`.
    package var symbol: String {
        switch self {
        case .create: "+"
        case .change: "~"
        case .release: "-"
        case .check: ">"
        }
    }

    /// The verb used in the JSON `actions` array; `delete` is kept so policies can scan for it.
    package var jsonAction: String {
        switch self {
        case .create: "create"
        case .change: "update"
        case .release: "delete"
        case .check: "check"
        }
    }

    /// The legend line text.
    package var legend: String {
        switch self {
        case .create: "create"
        case .change: "change in place"
        case .release: "release"
        case .check: "wait / check"
        }
    }
}
