/// What the applier reports while it works.
///
/// Views print these; the applier never prints.
package enum ApplyEvent: Sendable {
    /// A migration's steps are about to run.
    case migrationStarted(migration: String, steps: Int)
    /// A step is about to call its provider.
    case stepStarted(Step)
    /// Dry-run: a request the step would send, exactly as built.
    case wouldSend(Step, ProviderRequest)
    /// A request failed with a retryable error; it is sent again after `delay` seconds.
    case retrying(Step, ProviderRequest, error: ProviderError, attempt: Int, delay: Double)
    /// A provider operation id was recorded.
    case operation(Step, id: String)
    /// A long step moved; `elapsed` in seconds.
    case progress(Step, StepProgress, elapsed: Double)
    /// A step finished; `elapsed` in seconds.
    case stepFinished(Step, elapsed: Double, summary: String?)
    /// A step failed; the migration stops, others go on.
    case stepFailed(Step, elapsed: Double, message: String)
    /// The migration stopped because the user interrupted.
    case interrupted(migration: String, before: Step?)
    /// Something went wrong beside the steps (the journal could not be written).
    case warning(String)
    /// The migration finished (successfully or not).
    case migrationFinished(migration: String, outcome: MigrationOutcome)
}

/// How one migration's apply ended.
package enum MigrationOutcome: Hashable, Sendable {
    case succeeded(steps: Int)
    case failed(step: String, message: String)
    case interrupted(completedSteps: Int)
    /// Could not start (lock held, journal not writable).
    case notStarted(message: String)

    /// True when the migration ran all its steps.
    package var isSuccess: Bool {
        if case .succeeded = self { return true }
        return false
    }
}
