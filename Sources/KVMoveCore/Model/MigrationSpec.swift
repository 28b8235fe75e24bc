import Foundation

/// One desired migration: what the user wrote in a `kind: Migration` document.
///
/// This is the domain value the planner works on. It knows nothing of YAML; ``SourceLocation``s
/// are carried only so plan-time refusals can point back at the line that caused them.
package struct MigrationSpec: Codable, Hashable, Sendable {
    /// `metadata.name`: unique per repository, used to tag what kvmove creates.
    package var name: String
    /// `spec.provider`: which provider observes and performs (`local`, `aliyun`, …).
    package var provider: String
    /// The instance being moved.
    package var source: SourceSpec
    /// Where the instance moves to.
    package var target: TargetSpec
    /// The active-active group that carries the sync.
    package var activeActive: GroupSpec
    /// Gates checked before sync is disconnected.
    package var cutover: CutoverSpec
    /// How far this migration should go.
    package var stage: Stage
    /// Where the document starts, and where individual fields are, for plan-time messages.
    package var locations: SpecLocations

    package init(
        name: String,
        provider: String,
        source: SourceSpec,
        target: TargetSpec,
        activeActive: GroupSpec,
        cutover: CutoverSpec = CutoverSpec(),
        stage: Stage,
        locations: SpecLocations = SpecLocations()
    ) {
        self.name = name
        self.provider = provider
        self.source = source
        self.target = target
        self.activeActive = activeActive
        self.cutover = cutover
        self.stage = stage
        self.locations = locations
    }
}

/// The source instance, as the user identifies it.
package struct SourceSpec: Codable, Hashable, Sendable {
    /// Region id, for example `cn-hangzhou`.
    package var region: String
    /// Instance id, for example `r-bp1zxszhcgatnx0001`.
    package var instanceId: String

    package init(region: String, instanceId: String) {
        self.region = region
        self.instanceId = instanceId
    }
}

/// The target instance kvmove creates.
package struct TargetSpec: Codable, Hashable, Sendable {
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    package var instanceName: String
    package var billing: Billing

    package init(
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        instanceName: String,
        billing: Billing
    ) {
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.instanceName = instanceName
        self.billing = billing
    }
}

/// How the target instance is paid for.
package enum Billing: Hashable, Sendable, Codable {
    /// Pay-as-you-go.
    case postPaid
    /// Subscription for a period in months; `periodMonths` is nil only when the user left it out,
    /// which the loader and the planner both refuse.
    case prePaid(periodMonths: Int?, autoRenew: Bool)

    /// The cloud's name for the charge type.
    package var chargeType: String {
        switch self {
        case .postPaid: "PostPaid"
        case .prePaid: "PrePaid"
        }
    }

    /// Subscription periods the cloud accepts, in months.
    package static let allowedPeriods: [Int] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 60]

    /// A short human description, such as `PrePaid (12 months, auto-renew)`.
    package var summary: String {
        switch self {
        case .postPaid:
            return "PostPaid"
        case .prePaid(let months, let autoRenew):
            let period = months.map { "\($0) month\($0 == 1 ? "" : "s")" } ?? "no period"
            return "PrePaid (\(period)\(autoRenew ? ", auto-renew" : ""))"
        }
    }
}

/// The active-active ("global distributed cache") group.
package struct GroupSpec: Codable, Hashable, Sendable {
    package var name: String

    package init(name: String) {
        self.name = name
    }
}

/// Gates that must pass before sync is disconnected.
package struct CutoverSpec: Codable, Hashable, Sendable {
    /// The source must have had no client traffic for this many seconds.
    package var requireIdleSourceSeconds: Int?

    package init(requireIdleSourceSeconds: Int? = nil) {
        self.requireIdleSourceSeconds = requireIdleSourceSeconds
    }

    /// True when no gate is declared.
    package var isEmpty: Bool { requireIdleSourceSeconds == nil }
}

/// How far a migration should go.
///
/// Stages are ordered: `sync < cutover < complete`.
package enum Stage: String, Codable, Hashable, Sendable, CaseIterable, Comparable {
    case sync
    case cutover
    case complete

    private var rank: Int {
        switch self {
        case .sync: 0
        case .cutover: 1
        case .complete: 2
        }
    }

    package static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rank < rhs.rank }
}

/// Source positions of a spec's document and fields, used only for messages.
package struct SpecLocations: Codable, Hashable, Sendable {
    /// Where the document (its `apiVersion` key, or first key) is.
    package var document: SourceLocation?
    /// Field positions keyed by dotted path, such as `spec.target.zone`.
    package var fields: [String: SourceLocation]

    package init(document: SourceLocation? = nil, fields: [String: SourceLocation] = [:]) {
        self.document = document
        self.fields = fields
    }

    /// The location of `path`, falling back to the document.
    package func location(of path: String) -> SourceLocation? {
        fields[path] ?? document
    }
}
