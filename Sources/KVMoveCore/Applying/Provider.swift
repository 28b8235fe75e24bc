/// A cloud (real or emulated) that kvmove can observe and change.
///
/// Providers use only Core value types. Every `perform` must be idempotent: apply may run a
/// step again after an interruption at any point, and must converge without duplicates.
package protocol Provider: Sendable {
    /// The name specs use in `spec.provider`.
    var name: String { get }

    /// Observes everything the planner needs for one migration.
    func observe(_ spec: MigrationSpec) async throws -> ObservedMigration

    /// The exact calls `perform` would make for `step`, secrets redacted; used by dry-run.
    func calls(for step: Step, in context: StepContext) -> [ProviderCall]

    /// Carries out `step`; reports progress and operation ids through `context`.
    func perform(_ step: Step, in context: StepContext) async throws -> StepOutcome
}

/// One API call a provider makes, as shown by dry-run.
package struct ProviderCall: Codable, Hashable, Sendable, CustomStringConvertible {
    /// A call parameter.
    ///
    /// Secret values are never stored: they are replaced on construction.
    package struct Parameter: Codable, Hashable, Sendable {
        package var name: String
        package var value: String

        /// The text shown instead of a secret.
        package static let redacted = "(sensitive value)"

        package init(_ name: String, _ value: String, secret: Bool = false) {
            self.name = name
            self.value = secret ? Parameter.redacted : value
        }
    }

    package var action: String
    package var parameters: [Parameter]

    package init(_ action: String, _ parameters: [Parameter]) {
        self.action = action
        self.parameters = parameters
    }

    /// `Action Name=value Name=value`.
    package var description: String {
        ([action] + parameters.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
    }
}

/// Progress of a long step, as the provider knows it.
package struct StepProgress: Codable, Hashable, Sendable {
    /// 0…1 when known.
    package var fraction: Double?
    package var message: String

    package init(fraction: Double? = nil, message: String) {
        self.fraction = fraction
        self.message = message
    }
}

/// What a step produced: ids of resources it created and a one-line summary.
package struct StepOutcome: Hashable, Sendable {
    package var groupId: String?
    package var targetId: String?
    package var summary: String?

    package init(groupId: String? = nil, targetId: String? = nil, summary: String? = nil) {
        self.groupId = groupId
        self.targetId = targetId
        self.summary = summary
    }
}

/// Everything a provider gets to carry out one step.
package struct StepContext: Sendable {
    package var spec: MigrationSpec
    /// Ids known so far: from the plan, updated as earlier steps create resources.
    package var resources: KnownResources
    /// A stable token for create calls, so a retried create never makes a second resource.
    package var idempotencyToken: String
    /// Where the state directory is (journal, reports), for providers that write reports.
    package var stateDirectory: String?
    private let progressHandler: @Sendable (StepProgress) -> Void
    private let operationHandler: @Sendable (String) -> Void
    private let interruptedHandler: @Sendable () -> Bool

    package init(
        spec: MigrationSpec,
        resources: KnownResources,
        idempotencyToken: String,
        stateDirectory: String? = nil,
        progress: @escaping @Sendable (StepProgress) -> Void = { _ in },
        operation: @escaping @Sendable (String) -> Void = { _ in },
        interrupted: @escaping @Sendable () -> Bool = { false }
    ) {
        self.spec = spec
        self.resources = resources
        self.idempotencyToken = idempotencyToken
        self.stateDirectory = stateDirectory
        self.progressHandler = progress
        self.operationHandler = operation
        self.interruptedHandler = interrupted
    }

    /// Reports progress of a long step.
    package func progress(_ progress: StepProgress) { progressHandler(progress) }

    /// Records a provider operation id (request id, task id) in the journal.
    package func operation(_ id: String) { operationHandler(id) }

    /// True once the user asked to stop; long waits check it between provider calls.
    package var isInterrupted: Bool { interruptedHandler() }

    /// Throws ``ApplyInterrupted`` when the user asked to stop.
    package func checkInterrupted() throws(ApplyInterrupted) {
        if isInterrupted { throw ApplyInterrupted() }
    }
}

/// Thrown by long waits when the user pressed Ctrl-C.
package struct ApplyInterrupted: Error, Sendable, CustomStringConvertible {
    package init() {}
    package var description: String { "interrupted" }
}

/// An operational failure reported by a provider: what happened and what to do.
package struct ProviderError: Error, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}

/// Stable idempotency tokens derived from the migration name and step.
package enum IdempotencyToken {
    /// `kvmove-<16 hex>`: FNV-1a 64 of `migration/kind`, ≤ 64 ASCII characters as the cloud requires.
    package static func make(migration: String, kind: StepKind) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(migration)/\(kind.rawValue)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "kvmove-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
