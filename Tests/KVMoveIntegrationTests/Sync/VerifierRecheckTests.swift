import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// Keys that differ while both sides are being written are compared again before they are reported.
@Suite("Verifier: re-checks", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct VerifierRecheckTests {
    /// Counts the calls of a catch-up hook.
    final class Calls: Sendable {
        private let count = Mutex(0)

        /// Counts one more call and returns how many there were so far, this one included.
        func next() -> Int {
            count.withLock { value in
                value += 1
                return value
            }
        }

        var value: Int { count.withLock { $0 } }
    }

    static func send(_ server: RedisServerFixture, database: Int = 0, _ commands: [RESPCommand]) async throws {
        let connection = try await server.connect(database: database)
        try await run(connection, commands)
        await connection.close()
    }

    static func verify(
        _ source: RedisServerFixture,
        _ target: RedisServerFixture,
        _ options: Verifier.Options,
        catchUp: (@Sendable () async throws -> Void)? = nil
    ) async throws -> VerificationReport {
        try await Verifier(source: source.endpoint, target: target.endpoint, options: options)
            .run(progress: { _, _ in }, catchUp: catchUp)
    }

    static func describe(_ mismatches: [Mismatch]) -> [String] {
        mismatches.map { "\($0.database) \($0.key) \($0.kind.rawValue)" }.sorted()
    }

    @Test(
        "keys of every kind that the catch-up carries over are not reported; the report counts them",
        arguments: [nil, true, false] as [Bool?])
    func resolvedByCatchUp(useDigest: Bool?) async throws {
        try await withSourceAndTarget { source, target in
            let binary = RESPArgument(ByteBuffer(bytes: binaryKey))
            try await Self.send(
                source,
                [
                    RESPCommand("SET", "missing", "1"), RESPCommand("SET", "value", "new"),
                    RESPCommand("SADD", "type", "member"), RESPCommand("SET", "same", "x"),
                    RESPCommand("SET", binary, "b"), RESPCommand("SET", "ttl", "t"),
                ])
            try await Self.send(
                target,
                [
                    RESPCommand("SET", "value", "old"), RESPCommand("RPUSH", "type", "member"),
                    RESPCommand("SET", "same", "x"), RESPCommand("SET", "ttl", "t", "PX", 600_000),
                ])
            let calls = Calls()
            // The channel catching up: the target receives what the source had written.
            let catchUp: @Sendable () async throws -> Void = {
                _ = calls.next()
                try await Self.send(
                    target,
                    [
                        RESPCommand("SET", "missing", "1"), RESPCommand("SET", "value", "new"),
                        RESPCommand("DEL", "type"), RESPCommand("SADD", "type", "member"),
                        RESPCommand("SET", binary, "b"), RESPCommand("PERSIST", "ttl"),
                    ])
            }
            let report = try await Self.verify(
                source, target,
                Verifier.Options(useDigest: useDigest, recheckRounds: 3, recheckDelay: .seconds(60)),
                catchUp: catchUp)
            #expect(report.passed, "\(report.mismatches)")
            #expect(report.mismatches.isEmpty)
            #expect(report.mismatchCount == 0)
            #expect(report.keysChecked == 6)
            #expect(report.rounds == 2, "the first round of re-checks leaves no key: no more rounds")
            #expect(report.recheckedKeys == 5)
            #expect(report.resolvedOnRecheck == 5)
            #expect(calls.value == 1)
            #expect(report.seconds < 30, "the catch-up hook takes the place of the delay")
            #expect(
                report.summary
                    == "6 keys match in 1 db (key counts changed while verifying); "
                    + "5 keys differed while being written and matched on re-check")
        }
    }

    @Test("a key that still differs after every round is reported; one carried over meanwhile is not")
    func stillDiffers() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(
                source,
                [RESPCommand("SET", "stuck", "1"), RESPCommand("SET", "fixed", "1"), RESPCommand("SET", "ok", "1")])
            try await Self.send(
                target,
                [RESPCommand("SET", "stuck", "2"), RESPCommand("SET", "fixed", "2"), RESPCommand("SET", "ok", "1")])
            let calls = Calls()
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 2),
                catchUp: {
                    if calls.next() == 1 { try await Self.send(target, [RESPCommand("SET", "fixed", "1")]) }
                })
            #expect(!report.passed)
            #expect(Self.describe(report.mismatches) == ["0 stuck value"])
            #expect(report.mismatchCount == 1)
            #expect(report.rounds == 3, "the full pass and 2 rounds")
            #expect(report.recheckedKeys == 2)
            #expect(report.resolvedOnRecheck == 1)
            #expect(calls.value == 2)
            #expect(
                report.summary
                    == "1 of 3 keys differ (1 value); 1 key differed while being written and matched on re-check")
        }
    }

    @Test("without a catch-up hook, each round waits the delay first")
    func delayBetweenRounds() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(source, [RESPCommand("SET", "k", "1")])
            try await Self.send(target, [RESPCommand("SET", "k", "2")])
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 2, recheckDelay: .milliseconds(400)))
            #expect(report.rounds == 3)
            #expect(report.seconds >= 0.8, "two delays of 0.4 s")
            #expect(Self.describe(report.mismatches) == ["0 k value"])
            #expect(report.recheckedKeys == 1 && report.resolvedOnRecheck == 0)
            #expect(report.summary == "1 of 1 key differ (1 value)", "nothing matched on re-check: nothing to add")
        }
    }

    @Test("the hook is called once before each round, and rounds stop when no key differs any more")
    func hookOncePerRound() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(source, [RESPCommand("SET", "k", "1")])
            try await Self.send(target, [RESPCommand("SET", "k", "2")])
            let persistent = Calls()
            let stuck = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 4), catchUp: { _ = persistent.next() })
            #expect(persistent.value == 4)
            #expect(stuck.rounds == 5)
            #expect(!stuck.passed)

            // Carried over at the third catch-up: the third round sees it, and there is no fourth.
            let late = Calls()
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 5),
                catchUp: {
                    if late.next() == 3 { try await Self.send(target, [RESPCommand("SET", "k", "1")]) }
                })
            #expect(late.value == 3)
            #expect(report.rounds == 4)
            #expect(report.passed, "\(report.mismatches)")
            #expect(report.recheckedKeys == 1 && report.resolvedOnRecheck == 1)
        }
    }

    @Test("a round compares only the keys that differed in the round before")
    func onlyDifferingKeysAreComparedAgain() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(source, [RESPCommand("SET", "differs", "1"), RESPCommand("SET", "matched", "1")])
            try await Self.send(target, [RESPCommand("SET", "differs", "2"), RESPCommand("SET", "matched", "1")])
            let calls = Calls()
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 2),
                catchUp: {
                    // After the full pass, a key that matched there changes: no round looks at it again.
                    if calls.next() == 1 { try await Self.send(target, [RESPCommand("SET", "matched", "changed")]) }
                })
            #expect(Self.describe(report.mismatches) == ["0 differs value"])
            #expect(report.recheckedKeys == 1)
        }
    }

    @Test("writtenOnBothSides marks exactly the keys the hook names, by database and raw key")
    func writtenOnBothSides() async throws {
        try await withSourceAndTarget { source, target in
            let binary = ByteBuffer(bytes: binaryKey)
            for database in [0, 1] {
                try await Self.send(
                    source, database: database,
                    [
                        RESPCommand("SET", "a", "1"), RESPCommand("SET", "b", "1"),
                        RESPCommand("SET", RESPArgument(binary), "1"),
                    ])
                try await Self.send(
                    target, database: database,
                    [
                        RESPCommand("SET", "a", "2"), RESPCommand("SET", "b", "2"),
                        RESPCommand("SET", RESPArgument(binary), "2"),
                    ])
            }
            let asked = Mutex<[String]>([])
            let options = Verifier.Options(
                recheckRounds: 1, recheckDelay: .zero,
                writtenOnBothSides: { database, key in
                    asked.withLock { $0.append("\(database) \(KeyText.printable(key))") }
                    return (database == 0 && key == ByteBuffer(string: "b")) || (database == 1 && key == binary)
                })
            let report = try await Self.verify(source, target, options)
            let marks = report.mismatches.map {
                "\($0.database) \($0.key) \(String(describing: $0.writtenOnBothSides))"
            }
            let printable = KeyText.printable(binary)
            #expect(
                Set(marks) == [
                    "0 a Optional(false)", "0 b Optional(true)", "0 \(printable) Optional(false)",
                    "1 a Optional(false)", "1 b Optional(false)", "1 \(printable) Optional(true)",
                ])
            #expect(report.mismatchCount == 6)
            #expect(asked.withLock { Set($0) }.count == 6, "asked about every differing key")
            #expect(
                report.summary
                    == "6 of 6 keys differ (6 value); 2 of them were written on both members: "
                    + "a conflict the group does not merge")

            // Without the hook nothing is known: no mark, nothing said.
            let unknown = try await Self.verify(source, target, Verifier.Options(recheckRounds: 0))
            #expect(unknown.mismatches.count == 6)
            #expect(unknown.mismatches.allSatisfy { $0.writtenOnBothSides == nil })
            #expect(unknown.summary == "6 of 6 keys differ (6 value)")
        }
    }

    @Test("keys only on the target are compared again too")
    func extraKeys() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(source, [RESPCommand("SET", "shared", "1")])
            try await Self.send(
                target,
                [
                    RESPCommand("SET", "shared", "1"), RESPCommand("SET", "gone", "1"),
                    RESPCommand("SET", "copied", "1"), RESPCommand("SET", "stays", "1"),
                ])
            let calls = Calls()
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 2),
                catchUp: {
                    guard calls.next() == 1 else { return }
                    // A deletion carried to the target, and the target's own write carried to the source.
                    try await Self.send(target, [RESPCommand("DEL", "gone")])
                    try await Self.send(source, [RESPCommand("SET", "copied", "1")])
                })
            #expect(!report.passed)
            #expect(Self.describe(report.mismatches) == ["0 stays extra"])
            #expect(report.mismatches.first?.detail == "only on the target")
            #expect(report.rounds == 3)
            #expect(report.recheckedKeys == 3)
            #expect(report.resolvedOnRecheck == 2)
            #expect(
                report.summary
                    == "1 of 1 key differ (1 extra); 2 keys differed while being written and matched on re-check")
        }
    }

    @Test("a key deleted from the source after the full pass, and still on the target, is reported as extra")
    func missingBecomesExtra() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(source, [RESPCommand("SET", "k", "1")])
            try await Self.send(target, [RESPCommand("SET", "k", "2")])
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 1),
                catchUp: { try await Self.send(source, [RESPCommand("DEL", "k")]) })
            #expect(Self.describe(report.mismatches) == ["0 k extra"])
            #expect(!report.passed)
        }
    }

    @Test("with no rounds of re-checks, one pass decides as before and the hook is never called")
    func noRecheck() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.send(source, [RESPCommand("SET", "a", "1"), RESPCommand("SET", "b", "1")])
            try await Self.send(target, [RESPCommand("SET", "a", "1")])
            let calls = Calls()
            let report = try await Self.verify(
                source, target, Verifier.Options(recheckRounds: 0),
                catchUp: {
                    _ = calls.next()
                    try await Self.send(target, [RESPCommand("SET", "b", "1")])
                })
            #expect(calls.value == 0)
            #expect(!report.passed)
            #expect(Self.describe(report.mismatches) == ["0 b missing"])
            #expect(report.rounds == 1)
            #expect(report.recheckedKeys == 0)
            #expect(report.resolvedOnRecheck == 0)
            #expect(report.summary == "1 of 2 keys differ (1 missing)")

            // Nothing differs: one pass, whatever the rounds allowed.
            try await Self.send(target, [RESPCommand("SET", "b", "1")])
            let clean = try await Self.verify(source, target, Verifier.Options(), catchUp: { _ = calls.next() })
            #expect(clean.passed)
            #expect(clean.rounds == 1)
            #expect(calls.value == 0)
            #expect(clean.summary == "2 keys match in 1 db")
        }
    }
}

/// The report's new fields in JSON: written, and defaulted when a report from before them is read.
@Suite("Verification report: re-check fields")
struct VerificationReportRecheckCodingTests {
    @Test("a report written before re-checks reads as one pass; new fields and marks survive a round trip")
    func coding() throws {
        let old = """
            {"keysChecked": 2, "mismatchCount": 1, "passed": false, "seconds": 0.5,
             "mismatches": [{"database": 0, "key": "k", "kind": "value", "detail": "value differs"}],
             "sourceKeysPerDatabase": {"0": 2}, "targetKeysPerDatabase": {"0": 2},
             "summary": "1 of 2 keys differ (1 value)"}
            """
        let decoded = try JSONDecoder().decode(VerificationReport.self, from: Data(old.utf8))
        #expect(decoded.rounds == 1)
        #expect(decoded.recheckedKeys == 0)
        #expect(decoded.resolvedOnRecheck == 0)
        #expect(decoded.functions == nil)
        #expect(decoded.mismatches == [Mismatch(database: 0, key: "k", kind: .value, detail: "value differs")])

        var report = decoded
        report.rounds = 4
        report.recheckedKeys = 3
        report.resolvedOnRecheck = 2
        report.mismatches[0].writtenOnBothSides = true
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(text.hasPrefix("{\"keysChecked\":2,"))
        #expect(text.contains("\"rounds\":4") && text.contains("\"recheckedKeys\":3"))
        #expect(text.contains("\"resolvedOnRecheck\":2") && text.contains("\"writtenOnBothSides\":true"))
        #expect(try JSONDecoder().decode(VerificationReport.self, from: Data(text.utf8)) == report)

        // Unknown stays unsaid.
        let unmarked = String(decoding: try encoder.encode(decoded), as: UTF8.self)
        #expect(!unmarked.contains("writtenOnBothSides"))
    }
}
