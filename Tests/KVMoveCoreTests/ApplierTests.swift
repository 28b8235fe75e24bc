import Foundation
import KVMoveCore
import KVMoveSecret
import KVMoveTestSupport
import Synchronization
import Testing

/// Collects events from the applier's callback.
final class EventLog: Sendable {
    private let events = Mutex<[ApplyEvent]>([])
    func append(_ event: ApplyEvent) { events.withLock { $0.append(event) } }
    var all: [ApplyEvent] { events.withLock { $0 } }
    var wouldSend: [ProviderRequest] {
        all.compactMap { if case .wouldSend(_, let request) = $0 { request } else { nil } }
    }
    var retries: [(ProviderError, Int)] {
        all.compactMap { if case .retrying(_, _, let error, let attempt, _) = $0 { (error, attempt) } else { nil } }
    }
    var started: [StepKind] {
        all.compactMap { if case .stepStarted(let step) = $0 { step.kind } else { nil } }
    }
}

struct ApplierTests {
    func tempDir() throws -> URL { try temporaryDirectory() }

    func plan(_ specs: [MigrationSpec], _ provider: FakeProvider) async throws -> Plan {
        try await observeAndPlan(specs, provider)
    }

    func applier(_ provider: FakeProvider, _ options: Applier.Options, interrupt: InterruptFlag = InterruptFlag())
        -> Applier
    {
        // Retry pauses are recorded, not slept: no test waits for a backoff.
        Applier(options: options, interrupt: interrupt, providers: { _ in provider }, sleep: { _ in }, random: { 0.5 })
    }

    /// Options with the file journal and locks in `state`.
    func files(_ state: URL, dryRun: Bool = false, parallelism: Int = 4, timeouts: [StepKind: Double] = [:])
        -> Applier.Options
    {
        .init(
            dryRun: dryRun, parallelism: parallelism, timeouts: timeouts, state: .files(at: state),
            stateDirectory: state)
    }

    @Test("apply through complete converges; planning again finds no changes")
    func fullJourney() async throws {
        let provider = FakeProvider(world: .standard(sourceSyncCapable: false))
        let state = try tempDir()
        for stage in Stage.allCases {
            let spec = SpecFixtures.spec(stage: stage, idleSeconds: 30)
            let plan = try await plan([spec], provider)
            #expect(plan.hasChanges)
            let outcomes = await applier(provider, files(state)).apply(plan) { _ in }
            #expect(outcomes["orders-cache"]?.isSuccess == true, "\(String(describing: outcomes))")
            let again = try await self.plan([spec], provider)
            #expect(!again.hasChanges, "\(again.steps.map(\.id))")
        }
        let world = try await provider.store.world()
        #expect(world.groups.isEmpty)
        #expect(world.instances.filter { $0.observed.status != "Released" }.map(\.observed.name) == ["orders-cache"])
        let journal = FileJournal(directory: state.appendingPathComponent("journal"))
        let events = try journal.entries(for: "orders-cache").map(\.event)
        #expect(events.first == .applyStarted)
        #expect(events.filter { $0 == .stepFinished }.count == 9)
        #expect(events.contains(.operation))
    }

    @Test("dry-run walks the same steps, reports every call with secrets redacted, changes nothing")
    func dryRun() async throws {
        let world = FakeWorld.standard()
        let provider = FakeProvider(world: world)
        let state = try tempDir()
        let plan = try await plan([SpecFixtures.spec(stage: .complete)], provider)
        let log = EventLog()
        let outcomes = await applier(provider, files(state, dryRun: true)).apply(plan) {
            log.append($0)
        }
        #expect(outcomes["orders-cache"]?.isSuccess == true)
        #expect(try await provider.store.world() == world)
        #expect(log.started == plan.steps.map(\.kind))
        let create = try #require(log.wouldSend.first { $0.action == "CreateInstance" })
        // The request dry-run shows is the one apply sends: it holds the real password, rendered redacted.
        #expect(create.secret("Password")?.reveal() == FakeProvider.targetPassword)
        #expect(create.description.contains("Password=(sensitive value)"))
        #expect(create.text("GroupId") == nil && create.description.contains("GroupId=(known after apply)"))
        #expect(!String(describing: log.all).contains(FakeProvider.targetPassword))
        #expect(try await provider.store.world().received.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("journal").path))
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("locks").path))
    }

    @Test("a failed step stops its migration; running again resumes without a second target")
    func resumeAfterFailure() async throws {
        var world = FakeWorld.standard()
        world.behaviour.failOnce = ["wait-full-sync"]
        let provider = FakeProvider(world: world)
        let state = try tempDir()
        let spec = SpecFixtures.spec()
        let first = await applier(provider, files(state)).apply(try await plan([spec], provider)) { _ in
        }
        guard case .failed(let step, let message) = first["orders-cache"] else {
            Issue.record("expected failure, got \(String(describing: first))")
            return
        }
        #expect(step == "orders-cache/wait-full-sync")
        #expect(message.contains("(local InternalError) injected failure"))
        let resumed = try await plan([spec], provider)
        #expect(resumed.steps.map(\.kind) == [.waitFullSync, .verifyData])
        let second = await applier(provider, files(state)).apply(resumed) { _ in }
        #expect(second["orders-cache"]?.isSuccess == true)
        let targets = try await provider.store.world().instances.filter {
            $0.observed.createdByMigration == "orders-cache"
        }
        #expect(targets.count == 1)
    }

    @Test("a create retried with the same token makes no second resource")
    func idempotentCreate() async throws {
        let provider = FakeProvider(world: .standard())
        let plan = try await plan([SpecFixtures.spec()], provider)
        let createGroup = try #require(plan.steps.first { $0.kind == .createGroup })
        let context = StepContext(
            migration: "orders-cache", resources: plan.migrations[0].resources,
            idempotencyToken: IdempotencyToken.make(migration: "orders-cache", kind: .createGroup)
        )
        let request = try #require(try provider.requests(for: createGroup, in: context).first)
        let a = try await provider.send(request, for: createGroup, in: context)
        let b = try await provider.send(request, for: createGroup, in: context)
        #expect(a.groupId == b.groupId)
        #expect(try await provider.store.world().groups.count == 1)
    }

    @Test("independent migrations run concurrently; one failing does not stop the other")
    func isolation() async throws {
        var world = FakeWorld.standard()
        var second = world.instances[0]
        second.observed.id = "r-bp1zxszhcgatnx0002"
        second.observed.name = "sessions-old"
        world.instances.append(second)
        world.behaviour.verifyMismatch = ["orders-cache"]
        let provider = FakeProvider(world: world)
        let specs = [
            SpecFixtures.spec(), SpecFixtures.spec(name: "sessions", sourceId: "r-bp1zxszhcgatnx0002"),
        ]
        let outcomes = await applier(provider, files(try tempDir(), parallelism: 2))
            .apply(try await plan(specs, provider)) { _ in }
        #expect(outcomes["sessions"]?.isSuccess == true)
        guard case .failed(let step, let message) = outcomes["orders-cache"] else {
            Issue.record("expected failure")
            return
        }
        #expect(step == "orders-cache/verify-data")
        #expect(message.contains("3 of 1000 keys differ"))
    }

    @Test("an interrupt stops before the next provider call and says so in the journal")
    func interrupt() async throws {
        let provider = FakeProvider(world: .standard())
        let state = try tempDir()
        let flag = InterruptFlag()
        let log = EventLog()
        let plan = try await plan([SpecFixtures.spec()], provider)
        // Raise the interrupt as soon as the first step starts: that call completes, nothing else runs.
        let outcomes = await applier(provider, files(state), interrupt: flag).apply(plan) { event in
            log.append(event)
            if case .stepStarted = event { flag.raise() }
        }
        #expect(outcomes["orders-cache"] == .interrupted(completedSteps: 1))
        #expect(log.started == [.createGroup])
        #expect(try await provider.store.world().groups.count == 1)
        let entries = try FileJournal(directory: state.appendingPathComponent("journal")).entries(for: "orders-cache")
        #expect(entries.last?.event == .interrupted)
        #expect(entries.last?.step == "orders-cache/create-target")
    }

    @Test("a step that outlives its timeout fails with advice to resume")
    func timeout() async throws {
        var world = FakeWorld.standard()
        world.behaviour.syncStepPerPoll = 0.001
        world.behaviour.pollMilliseconds = 20
        let provider = FakeProvider(world: world)
        let options = files(try tempDir(), timeouts: [.waitFullSync: 0.2])
        let outcomes = await applier(provider, options).apply(try await plan([SpecFixtures.spec()], provider)) { _ in }
        guard case .failed(let step, let message) = outcomes["orders-cache"] else {
            Issue.record("expected timeout")
            return
        }
        #expect(step == "orders-cache/wait-full-sync")
        #expect(message.contains("timed out") && message.contains("Run apply again to resume"))
    }

    @Test("a held lock stops that migration and names the holder")
    func lockHeld() async throws {
        let provider = FakeProvider(world: .standard())
        let state = try tempDir()
        let locks = FileLockStore(directory: state.appendingPathComponent("locks"))
        let holder = LockInfo(migration: "orders-cache", operation: "apply", created: "2026-11-24T10:00:00Z")
        try locks.acquire(holder)
        let outcomes = await applier(provider, files(state)).apply(
            try await plan([SpecFixtures.spec()], provider)
        ) { _ in }
        guard case .notStarted(let message) = outcomes["orders-cache"] else {
            Issue.record("expected lock refusal")
            return
        }
        #expect(message.contains("is locked by another apply"))
        #expect(message.contains("pid \(holder.pid)") && message.contains(holder.id))
        #expect(message.contains("kvmove unlock orders-cache"))
        #expect(try await provider.store.world().calls.isEmpty)
        #expect(try locks.forceUnlock("orders-cache")?.id == holder.id)
        #expect(locks.holder(of: "orders-cache") == nil)
    }

    @Test("the applier releases its lock when done")
    func lockReleased() async throws {
        let provider = FakeProvider(world: .standard())
        let state = try tempDir()
        _ = await applier(provider, files(state)).apply(try await plan([SpecFixtures.spec()], provider)) {
            _ in
        }
        #expect(FileLockStore(directory: state.appendingPathComponent("locks")).holder(of: "orders-cache") == nil)
    }

    /// A lock store whose locks cannot be removed (as a read-only or vanished state directory would make them).
    struct StuckLocks: LockStore {
        let files: FileLockStore
        func acquire(_ info: LockInfo) throws(LockError) { try files.acquire(info) }
        func release(_ info: LockInfo) throws(LockError) {
            throw .io(
                "the lock \(files.file(for: info.migration).path) could not be removed; remove it with: kvmove unlock \(info.migration)"
            )
        }
        func holder(of migration: String) -> LockInfo? { files.holder(of: migration) }
        func forceUnlock(_ migration: String) throws(LockError) -> LockInfo? { try files.forceUnlock(migration) }
    }

    @Test("a lock that cannot be released is a warning that says how to remove it, never silence")
    func lockNotReleasedIsSaid() async throws {
        let provider = FakeProvider(world: .standard())
        let state = try tempDir()
        var options = files(state)
        let locks = FileLockStore(directory: state.appendingPathComponent("locks"))
        options.state = StateStore(
            journal: FileJournal(directory: state.appendingPathComponent("journal")), locks: StuckLocks(files: locks))
        let log = EventLog()
        let outcomes = await applier(provider, options).apply(try await plan([SpecFixtures.spec()], provider)) {
            log.append($0)
        }
        #expect(outcomes["orders-cache"]?.isSuccess == true)
        let warnings = log.all.compactMap { event -> String? in
            if case .warning(let text) = event { text } else { nil }
        }
        #expect(warnings.contains { $0.contains("kvmove unlock orders-cache") }, "\(warnings)")
    }

    @Test("a lock file that is written is released; one held by another id is left alone")
    func lockReleaseMatchesTheHolder() throws {
        let locks = FileLockStore(directory: try tempDir().appendingPathComponent("locks"))
        let mine = LockInfo(migration: "m", operation: "apply", created: "t")
        try locks.acquire(mine)
        #expect(locks.holder(of: "m")?.id == mine.id)
        try locks.release(LockInfo(migration: "m", operation: "apply", created: "t"))
        #expect(locks.holder(of: "m")?.id == mine.id)
        try locks.release(mine)
        #expect(locks.holder(of: "m") == nil)
    }

    @Test("no secret reaches the journal, the call log or the events")
    func secrets() async throws {
        let provider = FakeProvider(world: .standard())
        let state = try tempDir()
        let log = EventLog()
        _ = await applier(provider, files(state)).apply(try await plan([SpecFixtures.spec()], provider)) {
            log.append($0)
        }
        let journal = try String(
            contentsOf: state.appendingPathComponent("journal/orders-cache.jsonl"), encoding: .utf8)
        #expect(!journal.contains(FakeProvider.targetPassword))
        // Positive control: the request really carried the password to the fake cloud.
        let world = try await provider.store.world()
        let target = try #require(world.instances.first { $0.observed.createdByMigration == "orders-cache" })
        #expect(world.passwords[target.observed.id] == FakeProvider.targetPassword)
        #expect(try await provider.store.world().calls.joined().contains("Password=(sensitive value)"))
        #expect(!(try await provider.store.world().calls.joined().contains(FakeProvider.targetPassword)))
        #expect(!String(describing: log.all).contains(FakeProvider.targetPassword))
    }

    @Test("idempotency tokens are stable, distinct per step and within the cloud's 64 characters")
    func tokens() {
        let a = IdempotencyToken.make(migration: "orders-cache", kind: .createTarget)
        #expect(a == IdempotencyToken.make(migration: "orders-cache", kind: .createTarget))
        #expect(a != IdempotencyToken.make(migration: "orders-cache", kind: .createGroup))
        #expect(a.count <= 64 && a.hasPrefix("kvmove-"))
    }
}
