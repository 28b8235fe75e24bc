import KVMoveSync
import Testing

/// The channel's budget of full syncs that end in the same failure.
struct FullSyncBudgetTests {
    @Test("the same failure after three full syncs in a row stops; reconnects before that")
    func sameFailureUsesTheBudget() {
        var budget = FullSyncBudget(limit: 3)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "OOM") == .reconnect)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "OOM") == .reconnect)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "OOM") == .stop(attempts: 3))
    }

    @Test("a different failure starts again at one; a session without a full sync does not count")
    func onlyRepeatsCount() {
        var budget = FullSyncBudget(limit: 2)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "A") == .reconnect)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "B") == .reconnect)
        #expect(budget.repeated == 1 && budget.lastFailure == "B")
        #expect(budget.sessionFailed(fullSync: false, streamed: false, failure: "B") == .reconnect)
        #expect(budget.repeated == 1)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "B") == .stop(attempts: 2))
    }

    @Test("reaching the stream resets the count, failed or not")
    func streamingResets() {
        var budget = FullSyncBudget(limit: 2)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "A") == .reconnect)
        #expect(budget.sessionFailed(fullSync: true, streamed: true, failure: "A") == .reconnect)
        #expect(budget.repeated == 0)
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "A") == .reconnect)
        budget.sessionStreamed()
        #expect(budget.sessionFailed(fullSync: true, streamed: false, failure: "A") == .reconnect)
        #expect(FullSyncBudget(limit: 0).limit == 1)
    }

    @Test func theStopSaysWhatHappenedAndWhatToDo() {
        let text = "\(FullSyncBudgetExhausted(attempts: 3, failure: "(redis OOM) command not allowed"))"
        #expect(text.hasPrefix("the channel stopped: 3 full syncs in a row ended in the same failure"))
        #expect(text.contains("fix the cause"))
    }
}
