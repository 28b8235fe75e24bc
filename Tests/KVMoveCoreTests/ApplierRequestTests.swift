import Foundation
import KVMoveCore
import KVMoveSecret
import KVMoveTestSupport
import Testing

/// Requests built once, retries decided from error codes, request ids journaled, real cancellation.
struct ApplierRequestTests {
    func tempDir() throws -> URL { try temporaryDirectory() }

    func plan(_ specs: [MigrationSpec], _ provider: FakeProvider) async throws -> Plan {
        try await observeAndPlan(specs, provider)
    }

    func apply(_ plan: Plan, _ provider: FakeProvider, state: URL, timeouts: [StepKind: Double] = [:], log: EventLog)
        async -> [String: MigrationOutcome]
    {
        let applier = Applier(
            options: .init(timeouts: timeouts, state: .files(at: state), stateDirectory: state),
            providers: { _ in provider }, sleep: { _ in }, random: { 0.5 })
        return await applier.apply(plan) { log.append($0) }
    }

    func journal(_ state: URL) throws -> [JournalEntry] {
        try FileJournal(directory: state.appendingPathComponent("journal")).entries(for: "orders-cache")
    }

    @Test("a retryable error is retried with backoff; every try and its request id is journaled")
    func transientFailuresAreRetried() async throws {
        var world = FakeWorld.standard()
        world.behaviour.transientFailures = ["CreateInstance": 2]
        let provider = FakeProvider(world: world)
        let state = try tempDir()
        let log = EventLog()
        let outcomes = await apply(try await plan([SpecFixtures.spec()], provider), provider, state: state, log: log)
        #expect(outcomes["orders-cache"]?.isSuccess == true, "\(outcomes)")
        #expect(log.retries.map(\.1) == [1, 2])
        #expect(log.retries.allSatisfy { $0.0.code == "ServiceUnavailable" })
        let tries = try journal(state).filter { $0.event == .request && $0.action == "fake CreateInstance" }
        #expect(tries.map(\.attempt) == [1, 2, 3])
        #expect(tries.map(\.errorCode) == ["ServiceUnavailable", "ServiceUnavailable", nil])
        #expect(tries.allSatisfy { $0.requestId?.hasPrefix("fake-req-") == true })
        #expect(Set(tries.compactMap(\.requestId)).count == 3)
        // Every request sent, not only the changing ones, has its id in the journal.
        let received = try await provider.store.world().received.count
        #expect(try journal(state).filter { $0.event == .request }.count == received)
    }

    @Test("a reply lost after the cloud carried out a create: the retry finds it by token, one target")
    func lostReplyAfterCreate() async throws {
        var world = FakeWorld.standard()
        world.behaviour.failAfterCommit = ["CreateInstance", "CreateGroup"]
        let provider = FakeProvider(world: world)
        let log = EventLog()
        let outcomes = await apply(
            try await plan([SpecFixtures.spec()], provider), provider, state: try tempDir(), log: log)
        #expect(outcomes["orders-cache"]?.isSuccess == true, "\(outcomes)")
        let after = try await provider.store.world()
        #expect(after.instances.filter { $0.observed.createdByMigration == "orders-cache" }.count == 1)
        #expect(after.groups.count == 1)
        #expect(log.retries.count == 2)
    }

    @Test("a non-retryable error fails the step at once, with its code and request id in the journal")
    func permanentFailure() async throws {
        var world = FakeWorld.standard()
        world.behaviour.failOnce = ["create-target"]
        let provider = FakeProvider(world: world)
        let state = try tempDir()
        let log = EventLog()
        let outcomes = await apply(try await plan([SpecFixtures.spec()], provider), provider, state: state, log: log)
        guard case .failed(let step, let message) = outcomes["orders-cache"] else {
            Issue.record("expected a failure, got \(outcomes)")
            return
        }
        #expect(step == "orders-cache/create-target")
        #expect(
            message.hasPrefix(
                "(local InternalError) injected failure in create-target; retry later [request id fake-req-"))
        #expect(log.retries.isEmpty)
        let failed = try #require(try journal(state).last { $0.event == .stepFailed })
        #expect(failed.errorCode == "InternalError")
        #expect(failed.requestId?.hasPrefix("fake-req-") == true)
    }

    @Test("a hung provider call ends at the step's timeout: the call is cancelled, not waited for")
    func hungCallIsCancelledAtTimeout() async throws {
        var world = FakeWorld.standard()
        world.behaviour.hang = ["wait-full-sync"]
        let provider = FakeProvider(world: world)
        let log = EventLog()
        let started = ContinuousClock.now
        let outcomes = await apply(
            try await plan([SpecFixtures.spec()], provider), provider, state: try tempDir(),
            timeouts: [.waitFullSync: 0.3], log: log)
        // The fake would answer after a day; ending at all proves the cancellation reached it.
        #expect(ContinuousClock.now - started < .seconds(30))
        guard case .failed(let step, let message) = outcomes["orders-cache"] else {
            Issue.record("expected a timeout, got \(outcomes)")
            return
        }
        #expect(step == "orders-cache/wait-full-sync")
        #expect(message.contains("timed out") && message.contains("Run apply again to resume"))
    }

    @Test("apply reads what it does from the plan's planned values, not from the spec")
    func plannedValuesAreTheInput() async throws {
        let provider = FakeProvider(world: .standard())
        var plan = try await plan([SpecFixtures.spec()], provider)
        // The spec a plan carries is for display; changing it must change nothing apply does.
        plan.migrations[0].spec.target.instanceName = "not-what-was-reviewed"
        plan.migrations[0].spec.target.zone = "cn-hangzhou-x"
        let outcomes = await apply(plan, provider, state: try tempDir(), log: EventLog())
        #expect(outcomes["orders-cache"]?.isSuccess == true)
        let target = try #require(
            try await provider.store.world().instances.first { $0.observed.createdByMigration == "orders-cache" })
        #expect(target.observed.name == "orders-cache")
        #expect(target.observed.zone == "cn-hangzhou-h")
        #expect(target.observed.instanceClass == "redis.amber.master.2g.2db.0rodb.4proxy.multithread")
    }

    @Test("a journal that cannot be written stops apply before anything changes")
    func journalNotWritable() async throws {
        let provider = FakeProvider(world: .standard())
        let state = try tempDir()
        // A file where the journal directory should be.
        try Data("x".utf8).write(to: state.appendingPathComponent("journal"))
        let outcomes = await apply(
            try await plan([SpecFixtures.spec()], provider), provider, state: state, log: EventLog())
        guard case .notStarted(let message) = outcomes["orders-cache"] else {
            Issue.record("expected apply not to start, got \(outcomes)")
            return
        }
        #expect(message.contains("the journal of orders-cache cannot be written"))
        #expect(try await provider.store.world().received.isEmpty)
    }

    @Test("a provider's requests render secrets redacted in every form, yet carry the real value")
    func secretRendering() throws {
        let secret = "Real-Pa55word-\(UUID().uuidString)"
        let request = ProviderRequest(
            service: "test", action: "CreateInstance",
            parameters: [.init("InstanceName", "a"), .init("Password", .secret(Secret(secret)))], effect: .change,
            idempotent: true)
        var dumped = ""
        dump(request, to: &dumped)
        let json = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        let error = ProviderError(source: .aliyun, code: "X", message: "failed: \(request)")
        for text in [
            request.description, String(reflecting: request), "\(request)", dumped, json, error.description,
            String(describing: Secret(secret)), "\(Secret(secret))",
        ] {
            #expect(!text.contains(secret), "\(text)")
        }
        #expect(json.contains("(sensitive value)"))
        #expect(request.secret("Password")?.reveal() == secret)
    }
}

/// Retry decisions from error codes.
struct RetryPolicyTests {
    let request = ProviderRequest(service: "s", action: "A", effect: .change, idempotent: true)

    func error(_ retry: ProviderError.Retry, after: Double? = nil) -> ProviderError {
        ProviderError(source: .aliyun, code: "C", message: "m", retry: retry, retryAfterSeconds: after)
    }

    @Test("backoff doubles up to the ceiling, with full jitter, and gives up after maxAttempts")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 4, baseDelay: 1, maxDelay: 3)
        #expect(policy.delay(after: error(.backoff), of: request, attempt: 1, random: 1) == 1)
        #expect(policy.delay(after: error(.backoff), of: request, attempt: 2, random: 1) == 2)
        #expect(policy.delay(after: error(.backoff), of: request, attempt: 3, random: 1) == 3)
        #expect(policy.delay(after: error(.backoff), of: request, attempt: 3, random: 0.5) == 1.5)
        #expect(policy.delay(after: error(.backoff), of: request, attempt: 4, random: 1) == nil)
    }

    @Test("a busy resource is waited for at a steady pace; a retry-after hint is honoured")
    func busyAndHints() {
        let policy = RetryPolicy(busyAttempts: 3, busyDelay: 10)
        #expect(policy.delay(after: error(.afterWait), of: request, attempt: 2, random: 0.5) == 10)
        #expect(policy.delay(after: error(.afterWait), of: request, attempt: 3, random: 0.5) == nil)
        #expect(policy.delay(after: error(.backoff, after: 20), of: request, attempt: 1, random: 0) == 20)
    }

    @Test("never retried: non-retryable codes, and requests that are not idempotent")
    func never() {
        let policy = RetryPolicy.standard
        #expect(policy.delay(after: error(.never), of: request, attempt: 1, random: 0.5) == nil)
        let create = ProviderRequest(service: "s", action: "Create", effect: .change, idempotent: false)
        #expect(policy.delay(after: error(.backoff), of: create, attempt: 1, random: 0.5) == nil)
    }
}
