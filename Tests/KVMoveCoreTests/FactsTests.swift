import KVMoveCore
import Testing

/// What makes a saved plan stale, and what does not.
struct FactsTests {
    /// One change to an observation between `plan -out` and `apply`.
    enum Change: String, CaseIterable, Sendable {
        case channelFailed, memberLeftGroup, targetLeftGroup, verificationNowFails, sourceClassChanged, sourceSharded
        case progressMoved, fullSyncFinished, channelMessage, verificationTime

        /// True when the change makes the plan wrong.
        var makesPlanWrong: Bool {
            switch self {
            case .channelFailed, .memberLeftGroup, .targetLeftGroup, .verificationNowFails, .sourceClassChanged,
                .sourceSharded:
                true
            case .progressMoved, .fullSyncFinished, .channelMessage, .verificationTime: false
            }
        }

        func apply(to o: inout ObservedMigration) {
            switch self {
            case .channelFailed: o.sync?.phase = .failed
            case .memberLeftGroup: o.group?.members.removeLast()
            case .targetLeftGroup: o.target?.groupId = nil
            case .verificationNowFails: o.verification?.passed = false
            case .sourceClassChanged: o.source?.instanceClass = "redis.other"
            case .sourceSharded: o.source?.shardCount = 4
            case .progressMoved: o.sync?.progress = 0.9
            case .fullSyncFinished: o.sync = ObservedSync(phase: .synchronized, progress: 1)
            case .channelMessage: o.sync?.message = "3 of 10 keys"
            case .verificationTime: o.verification?.at = "2026-12-01T00:00:00Z"
            }
        }
    }

    @Test("facts change exactly when the plan would be wrong", arguments: Change.allCases)
    func facts(_ change: Change) {
        let before = Observed.syncing(progress: 0.4, verified: true)
        var after = before
        change.apply(to: &after)
        #expect((before.facts != after.facts) == change.makesPlanWrong)
    }
}
