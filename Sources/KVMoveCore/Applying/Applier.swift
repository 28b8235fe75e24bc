import Foundation

/// Carries out a plan: steps of a migration in dependency order, migrations concurrently.
///
/// Each step's requests are built once by its provider. Dry-run walks exactly the same path and
/// stops just before the transport, reporting each request instead of sending it. Apply resolves
/// ids created by earlier steps, sends each request, retries retryable failures of idempotent
/// requests as ``RetryPolicy`` says, and journals every request with its request id. The applier
/// reports through ``ApplyEvent``s and never prints.
package struct Applier: Sendable {
    /// How apply runs.
    package struct Options: Sendable {
        package var dryRun: Bool
        /// How many migrations run at once.
        package var parallelism: Int
        /// Per-kind timeouts in seconds, overriding ``StepKind/defaultTimeoutSeconds``.
        package var timeouts: [StepKind: Double]
        /// The journal and locks; nil disables both (dry-run never uses them).
        package var state: StateStore?
        /// Where providers write reports (`<state-dir>/reports`).
        package var stateDirectory: URL?
        package var retry: RetryPolicy

        package init(
            dryRun: Bool = false,
            parallelism: Int = 4,
            timeouts: [StepKind: Double] = [:],
            state: StateStore? = nil,
            stateDirectory: URL? = nil,
            retry: RetryPolicy = .standard
        ) {
            self.dryRun = dryRun
            self.parallelism = max(1, parallelism)
            self.timeouts = timeouts
            self.state = state
            self.stateDirectory = stateDirectory
            self.retry = retry
        }

        /// The timeout of one step of `kind`, in seconds.
        package func timeout(for kind: StepKind) -> Double {
            timeouts[kind] ?? Double(kind.defaultTimeoutSeconds)
        }
    }

    package var options: Options
    package var interrupt: InterruptFlag
    private let providers: @Sendable (String) throws -> any Provider
    private let clock: @Sendable () -> Date
    private let sleep: @Sendable (Double) async throws -> Void
    private let random: @Sendable () -> Double

    /// - Parameters:
    ///   - options: dry-run, parallelism, timeouts, state, retries.
    ///   - interrupt: raised by Ctrl-C; checked between provider calls.
    ///   - providers: resolves `spec.provider` to the run's provider (one instance per name).
    ///   - clock: the time source for journal stamps and durations.
    ///   - sleep: waits between retries, in seconds; cancellable.
    ///   - random: a number in 0..<1 for retry jitter.
    package init(
        options: Options,
        interrupt: InterruptFlag = InterruptFlag(),
        providers: @escaping @Sendable (String) throws -> any Provider,
        clock: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Double) async throws -> Void = { try await Task.sleep(for: .seconds($0)) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.options = options
        self.interrupt = interrupt
        self.providers = providers
        self.clock = clock
        self.sleep = sleep
        self.random = random
    }

    /// Applies every migration of `plan`; returns each migration's outcome, by name.
    package func apply(
        _ plan: Plan,
        events: @escaping @Sendable (ApplyEvent) -> Void
    ) async -> [String: MigrationOutcome] {
        let work = plan.migrations.filter { !$0.steps.isEmpty }
        var outcomes: [String: MigrationOutcome] = [:]
        await withTaskGroup(of: (String, MigrationOutcome).self) { group in
            var pending = work[...]
            var running = 0
            while running < options.parallelism, let next = pending.popFirst() {
                group.addTask { (next.spec.name, await self.run(next, events: events)) }
                running += 1
            }
            while let (name, outcome) = await group.next() {
                outcomes[name] = outcome
                if let next = pending.popFirst() {
                    group.addTask { (next.spec.name, await self.run(next, events: events)) }
                }
            }
        }
        return outcomes
    }

    /// The steps of one migration in dependency order (ties keep plan order).
    package static func ordered(_ steps: [Step]) -> [Step] {
        var done: Set<String> = []
        var remaining = steps
        var out: [Step] = []
        let ids = Set(steps.map(\.id))
        while !remaining.isEmpty {
            guard
                let index = remaining.firstIndex(where: { step in
                    step.dependsOn.allSatisfy { done.contains($0) || !ids.contains($0) }
                })
            else {
                // A cycle cannot come out of the planner; keep plan order rather than hang.
                return out + remaining
            }
            let step = remaining.remove(at: index)
            done.insert(step.id)
            out.append(step)
        }
        return out
    }

    private func now() -> String { ISO8601.string(clock()) }

    private func run(_ migration: MigrationPlan, events: @escaping @Sendable (ApplyEvent) -> Void) async
        -> MigrationOutcome
    {
        let name = migration.spec.name
        func finish(_ outcome: MigrationOutcome) -> MigrationOutcome {
            events(.migrationFinished(migration: name, outcome: outcome))
            return outcome
        }
        let provider: any Provider
        do {
            provider = try providers(migration.spec.provider)
        } catch {
            return finish(.notStarted(message: "\(error)"))
        }
        let steps = Applier.ordered(migration.steps)
        let state = options.dryRun ? nil : options.state
        let journal = state?.journal
        let lock = LockInfo(migration: name, operation: "apply", created: now())
        if let locks = state?.locks {
            do {
                try locks.acquire(lock)
            } catch {
                return finish(.notStarted(message: error.description))
            }
        }
        defer {
            do {
                try state?.locks.release(lock)
            } catch {
                events(.warning(error.description))
            }
        }

        let record: @Sendable (JournalEntry) throws -> Void = { entry in
            do { try journal?.append(entry) } catch {
                throw JournalNotWritten(migration: name, underlying: "\(error)")
            }
        }

        // Entries written while stopping: a journal that fails then is reported, and the stop goes on.
        func recordOrWarn(_ entry: JournalEntry) {
            do { try record(entry) } catch { events(.warning("\(error)")) }
        }

        events(.migrationStarted(migration: name, steps: steps.count))
        var resources = migration.resources
        var completed = 0
        do {
            try record(
                JournalEntry(
                    time: now(), migration: name, event: .applyStarted, message: "\(steps.count) steps planned"))
        } catch {
            return finish(.notStarted(message: "\(error)"))
        }
        for step in steps {
            if interrupt.isRaised {
                events(.interrupted(migration: name, before: step))
                recordOrWarn(
                    JournalEntry(
                        time: now(), migration: name, event: .interrupted, step: step.id,
                        message: "stopped before this step"))
                return finish(.interrupted(completedSteps: completed))
            }
            let started = clock()
            events(.stepStarted(step))
            let context = StepContext(
                migration: name,
                resources: resources,
                settings: migration.settings,
                idempotencyToken: IdempotencyToken.make(migration: name, kind: step.kind),
                stateDirectory: options.stateDirectory?.path,
                progress: { [clock] p in events(.progress(step, p, elapsed: clock().timeIntervalSince(started))) },
                operation: { [clock] id in
                    events(.operation(step, id: id))
                    try record(
                        JournalEntry(
                            time: ISO8601.string(clock()), migration: name, event: .operation, step: step.id,
                            operationId: id))
                },
                interrupted: { [interrupt] in interrupt.isRaised }
            )
            if options.dryRun {
                do {
                    for request in try provider.requests(for: step, in: context) {
                        events(.wouldSend(step, request))
                    }
                } catch {
                    let message = "\(error)"
                    events(.stepFailed(step, elapsed: 0, message: message))
                    return finish(.failed(step: step.id, message: message))
                }
                events(.stepFinished(step, elapsed: 0, summary: nil))
                completed += 1
                continue
            }
            do {
                try record(JournalEntry(time: now(), migration: name, event: .stepStarted, step: step.id))
                let outcome = try await withTimeout(options.timeout(for: step.kind), step: step) {
                    try await self.perform(
                        step, context: context, provider: provider, record: record, events: events)
                }
                if let id = outcome.groupId { resources.groupId = id }
                if let id = outcome.targetId { resources.targetId = id }
                let elapsed = clock().timeIntervalSince(started)
                let message = [outcome.summary, outcome.warning.map { "warning: \($0)" }].compactMap { $0 }
                    .joined(separator: "; ")
                try record(
                    JournalEntry(
                        time: now(), migration: name, event: .stepFinished, step: step.id,
                        message: message.isEmpty ? nil : message, elapsedSeconds: elapsed))
                if let warning = outcome.warning { events(.warning("\(step.id): \(warning)")) }
                events(.stepFinished(step, elapsed: elapsed, summary: outcome.summary))
                completed += 1
            } catch is ApplyInterrupted {
                recordOrWarn(
                    JournalEntry(
                        time: now(), migration: name, event: .interrupted, step: step.id,
                        message: "stopped during this step; run apply again to resume"))
                events(.interrupted(migration: name, before: nil))
                return finish(.interrupted(completedSteps: completed))
            } catch {
                let elapsed = clock().timeIntervalSince(started)
                let message = "\(error)"
                recordOrWarn(
                    JournalEntry(
                        time: now(), migration: name, event: .stepFailed, step: step.id,
                        requestId: (error as? ProviderError)?.requestId,
                        errorCode: (error as? ProviderError)?.code, message: message, elapsedSeconds: elapsed))
                events(.stepFailed(step, elapsed: elapsed, message: message))
                return finish(.failed(step: step.id, message: message))
            }
        }
        do {
            try record(
                JournalEntry(time: now(), migration: name, event: .applyFinished, message: "\(completed) steps done"))
        } catch {
            return finish(.failed(step: steps.last?.id ?? name, message: "\(error)"))
        }
        return finish(.succeeded(steps: completed))
    }

    /// Builds the step's requests once, then sends them in order, resolving ids as they become known.
    private func perform(
        _ step: Step,
        context: StepContext,
        provider: any Provider,
        record: @escaping @Sendable (JournalEntry) throws -> Void,
        events: @escaping @Sendable (ApplyEvent) -> Void
    ) async throws -> StepOutcome {
        var context = context
        var result = StepOutcome()
        for request in try provider.requests(for: step, in: context) {
            let resolved = try request.resolved(with: context.resources)
            let outcome = try await send(
                resolved, step: step, context: context, provider: provider, record: record, events: events)
            if let id = outcome.groupId {
                context.resources.groupId = id
                result.groupId = id
            }
            if let id = outcome.targetId {
                context.resources.targetId = id
                result.targetId = id
            }
            if let warning = outcome.warning {
                result.warning = result.warning.map { $0 + "; " + warning } ?? warning
            }
            if let summary = outcome.summary {
                // Each gate says why it passed; other steps end with what their last request did.
                if step.kind == .checkCutoverGates, let earlier = result.summary {
                    result.summary = earlier + "; " + summary
                } else {
                    result.summary = summary
                }
            }
        }
        return result
    }

    /// Sends one request, retrying as the policy allows; journals every try.
    private func send(
        _ request: ProviderRequest,
        step: Step,
        context: StepContext,
        provider: any Provider,
        record: @escaping @Sendable (JournalEntry) throws -> Void,
        events: @escaping @Sendable (ApplyEvent) -> Void
    ) async throws -> StepOutcome {
        let action = "\(request.service) \(request.action)"
        var attempt = 1
        while true {
            do {
                let outcome = try await provider.send(request, for: step, in: context)
                try record(
                    JournalEntry(
                        time: now(), migration: context.migration, event: .request, step: step.id, action: action,
                        requestId: outcome.requestId, attempt: attempt))
                return outcome
            } catch let error as ProviderError {
                let delay = options.retry.delay(after: error, of: request, attempt: attempt, random: random())
                try record(
                    JournalEntry(
                        time: now(), migration: context.migration, event: .request, step: step.id, action: action,
                        requestId: error.requestId, attempt: attempt, errorCode: error.code,
                        message: delay.map { "retrying in \(Self.seconds($0)): \(error)" } ?? "\(error)"))
                guard let delay else { throw error }
                events(.retrying(step, request, error: error, attempt: attempt, delay: delay))
                try await pause(delay, context: context)
                attempt += 1
            }
        }
    }

    /// Sleeps `seconds` in slices, stopping early when the user interrupts.
    private func pause(_ seconds: Double, context: StepContext) async throws {
        var left = seconds
        while left > 0 {
            try context.checkInterrupted()
            let slice = min(left, 1)
            try await sleep(slice)
            left -= slice
        }
        try context.checkInterrupted()
    }

    private static func seconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.1fs", value) : formatSeconds(Int(value.rounded()))
    }

    /// Runs `body` and cancels it after `seconds`; `body` must honour cancellation.
    private func withTimeout(
        _ seconds: Double,
        step: Step,
        _ body: @escaping @Sendable () async throws -> StepOutcome
    ) async throws -> StepOutcome {
        try await withThrowingTaskGroup(of: StepOutcome?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let outcome = first else {
                throw StepTimeout(step: step.id, seconds: seconds)
            }
            return outcome
        }
    }
}

/// A step ran longer than its timeout.
package struct StepTimeout: Error, Sendable, CustomStringConvertible {
    package var step: String
    package var seconds: Double

    package var description: String {
        "step \(step) timed out after \(formatSeconds(Int(seconds))); the operation may still be running on the "
            + "provider. Run apply again to resume and wait for it"
    }
}

/// The journal could not be written; apply stops rather than go on unrecorded.
package struct JournalNotWritten: Error, Sendable, CustomStringConvertible {
    package var migration: String
    package var underlying: String

    package init(migration: String, underlying: String) {
        self.migration = migration
        self.underlying = underlying
    }

    package var description: String {
        "the journal of \(migration) cannot be written (\(underlying)); apply stopped so that nothing happens "
            + "unrecorded. Fix the state directory (space, permissions), then run apply again to resume"
    }
}
