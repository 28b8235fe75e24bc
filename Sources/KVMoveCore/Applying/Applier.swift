import Foundation

/// Carries out a plan: steps of a migration in dependency order, migrations concurrently.
///
/// Dry-run walks exactly the same path and stops at the provider call, reporting the call
/// instead. The applier reports through ``ApplyEvent``s and never prints.
package struct Applier: Sendable {
    /// How apply runs.
    package struct Options: Sendable {
        package var dryRun: Bool
        /// How many migrations run at once.
        package var parallelism: Int
        /// Per-kind timeouts in seconds, overriding ``StepKind/defaultTimeoutSeconds``.
        package var timeouts: [StepKind: Double]
        /// Where the journal and locks live; nil disables both (used by dry-run).
        package var stateDirectory: URL?

        package init(
            dryRun: Bool = false,
            parallelism: Int = 4,
            timeouts: [StepKind: Double] = [:],
            stateDirectory: URL? = nil
        ) {
            self.dryRun = dryRun
            self.parallelism = max(1, parallelism)
            self.timeouts = timeouts
            self.stateDirectory = stateDirectory
        }

        package func timeout(for kind: StepKind) -> Double {
            timeouts[kind] ?? Double(kind.defaultTimeoutSeconds)
        }
    }

    package var options: Options
    package var interrupt: InterruptFlag
    private let providers: @Sendable (String) throws -> any Provider
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - options: dry-run, parallelism, timeouts, state directory.
    ///   - interrupt: raised by Ctrl-C; checked between provider calls.
    ///   - providers: resolves `spec.provider` to a provider.
    ///   - clock: the time source for journal stamps and durations.
    package init(
        options: Options,
        interrupt: InterruptFlag = InterruptFlag(),
        providers: @escaping @Sendable (String) throws -> any Provider,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.options = options
        self.interrupt = interrupt
        self.providers = providers
        self.clock = clock
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
        let provider: any Provider
        do {
            provider = try providers(migration.spec.provider)
        } catch {
            let outcome = MigrationOutcome.notStarted(message: "\(error)")
            events(.migrationFinished(migration: name, outcome: outcome))
            return outcome
        }
        let steps = Applier.ordered(migration.steps)
        let journal =
            options.dryRun
            ? nil
            : options.stateDirectory.map {
                Journal(directory: $0.appendingPathComponent("journal"))
            }
        let locks =
            options.dryRun
            ? nil
            : options.stateDirectory.map {
                LockStore(directory: $0.appendingPathComponent("locks"))
            }
        let lock = LockInfo(migration: name, operation: "apply", created: now())
        if let locks {
            do {
                try locks.acquire(lock)
            } catch {
                let outcome = MigrationOutcome.notStarted(message: error.description)
                events(.migrationFinished(migration: name, outcome: outcome))
                return outcome
            }
        }
        defer { locks?.release(lock) }

        func record(_ entry: JournalEntry) {
            // A journal that cannot be written must not be silently skipped.
            do { try journal?.append(entry) } catch {
                events(.warning("journal \(name) not written: \(error)"))
            }
        }

        events(.migrationStarted(migration: name, steps: steps.count))
        record(
            JournalEntry(time: now(), migration: name, event: .applyStarted, message: "\(steps.count) steps planned")
        )
        var resources = migration.resources
        var completed = 0
        for step in steps {
            if interrupt.isRaised {
                events(.interrupted(migration: name, before: step))
                record(
                    JournalEntry(
                        time: now(), migration: name, event: .interrupted, step: step.id,
                        message: "stopped before this step")
                )
                let outcome = MigrationOutcome.interrupted(completedSteps: completed)
                events(.migrationFinished(migration: name, outcome: outcome))
                return outcome
            }
            let started = clock()
            events(.stepStarted(step))
            let context = StepContext(
                spec: migration.spec,
                resources: resources,
                idempotencyToken: IdempotencyToken.make(migration: name, kind: step.kind),
                stateDirectory: options.stateDirectory?.path,
                progress: { [clock] p in events(.progress(step, p, elapsed: clock().timeIntervalSince(started))) },
                operation: { [journal, clock] id in
                    events(.operation(step, id: id))
                    if let journal {
                        let entry = JournalEntry(
                            time: ISO8601.string(clock()), migration: name, event: .operation, step: step.id,
                            operationId: id
                        )
                        try? journal.append(entry)
                    }
                },
                interrupted: { [interrupt] in interrupt.isRaised }
            )
            if options.dryRun {
                for call in provider.calls(for: step, in: context) { events(.wouldCall(step, call)) }
                events(.stepFinished(step, elapsed: 0, summary: nil))
                completed += 1
                continue
            }
            record(JournalEntry(time: now(), migration: name, event: .stepStarted, step: step.id))
            do {
                let outcome = try await withTimeout(options.timeout(for: step.kind), step: step) {
                    try await provider.perform(step, in: context)
                }
                if let id = outcome.groupId { resources.groupId = id }
                if let id = outcome.targetId { resources.targetId = id }
                let elapsed = clock().timeIntervalSince(started)
                record(
                    JournalEntry(
                        time: now(), migration: name, event: .stepFinished, step: step.id, message: outcome.summary,
                        elapsedSeconds: elapsed
                    )
                )
                events(.stepFinished(step, elapsed: elapsed, summary: outcome.summary))
                completed += 1
            } catch is ApplyInterrupted {
                record(
                    JournalEntry(
                        time: now(), migration: name, event: .interrupted, step: step.id,
                        message: "stopped during this step; run apply again to resume"
                    )
                )
                events(.interrupted(migration: name, before: nil))
                let outcome = MigrationOutcome.interrupted(completedSteps: completed)
                events(.migrationFinished(migration: name, outcome: outcome))
                return outcome
            } catch {
                let elapsed = clock().timeIntervalSince(started)
                let message = "\(error)"
                record(
                    JournalEntry(
                        time: now(), migration: name, event: .stepFailed, step: step.id, message: message,
                        elapsedSeconds: elapsed
                    )
                )
                events(.stepFailed(step, elapsed: elapsed, message: message))
                let outcome = MigrationOutcome.failed(step: step.id, message: message)
                events(.migrationFinished(migration: name, outcome: outcome))
                return outcome
            }
        }
        record(
            JournalEntry(time: now(), migration: name, event: .applyFinished, message: "\(completed) steps done"))
        let outcome = MigrationOutcome.succeeded(steps: completed)
        events(.migrationFinished(migration: name, outcome: outcome))
        return outcome
    }

    private func withTimeout(
        _ seconds: Double,
        step: Step,
        _ body: @escaping @Sendable () async throws -> StepOutcome
    ) async throws -> StepOutcome {
        try await withThrowingTaskGroup(of: StepOutcome?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
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

/// ISO 8601 timestamps in UTC, second precision.
package enum ISO8601 {
    package static func string(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(
                .colon
            ).timeZone(separator: .omitted))
    }
}
