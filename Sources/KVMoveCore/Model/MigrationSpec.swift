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
    /// How the data plane reaches both instances; nil: private addresses, no password.
    package var connection: ConnectionSpec?
    /// `spec.verify`: how hard verification may read the source; nil: ``VerifySpec``'s defaults.
    package var verify: VerifySpec?
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
        connection: ConnectionSpec? = nil,
        verify: VerifySpec? = nil,
        locations: SpecLocations = SpecLocations()
    ) {
        self.connection = connection
        self.verify = verify
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
