/// Everything a provider gets to build and send one step's requests.
///
/// It carries the migration's name, the ids known so far and the provider settings chosen at plan
/// time, but not the spec: what a step does comes from its planned values (``Step/planned``).
package struct StepContext: Sendable {
    /// `metadata.name` of the migration.
    package var migration: String
    /// Ids known so far: from the plan, updated as earlier steps create resources.
    package var resources: KnownResources
    /// Provider settings fixed at plan time (for `local`, the sandbox directory).
    package var settings: [String: String]
    /// A stable token for create calls, so a retried create never makes a second resource.
    package var idempotencyToken: String
    /// Where the state directory is (journal, reports), for providers that write reports.
    package var stateDirectory: String?
    private let progressHandler: @Sendable (StepProgress) -> Void
    private let operationHandler: @Sendable (String) throws -> Void
    private let interruptedHandler: @Sendable () -> Bool

    package init(
        migration: String,
        resources: KnownResources,
        settings: [String: String] = [:],
        idempotencyToken: String,
        stateDirectory: String? = nil,
        progress: @escaping @Sendable (StepProgress) -> Void = { _ in },
        operation: @escaping @Sendable (String) throws -> Void = { _ in },
        interrupted: @escaping @Sendable () -> Bool = { false }
    ) {
        self.migration = migration
        self.resources = resources
        self.settings = settings
        self.idempotencyToken = idempotencyToken
        self.stateDirectory = stateDirectory
        self.progressHandler = progress
        self.operationHandler = operation
        self.interruptedHandler = interrupted
    }

    /// Reports progress of a long step.
    package func progress(_ progress: StepProgress) { progressHandler(progress) }

    /// Records a provider operation id (request id, order id) in the journal.
    ///
    /// - Throws: when the journal cannot be written; the step must stop rather than go on unrecorded.
    package func operation(_ id: String) throws { try operationHandler(id) }

    /// True once the user asked to stop; long waits check it between provider calls.
    package var isInterrupted: Bool { interruptedHandler() }

    /// Throws ``ApplyInterrupted`` when the user asked to stop, `CancellationError` when the step was cancelled.
    package func checkInterrupted() throws {
        if isInterrupted { throw ApplyInterrupted() }
        try Task.checkCancellation()
    }
}

/// Thrown by long waits when the user pressed Ctrl-C.
package struct ApplyInterrupted: Error, Sendable, CustomStringConvertible {
    package init() {}
    package var description: String { "interrupted" }
}
