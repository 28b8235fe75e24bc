import KVMoveRESP
import KVMoveSync
import NIOCore
import Testing

/// The verifier compares Redis functions (`FUNCTION LIST WITHCODE`) both ways.
@Suite("Verifier: functions", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct VerifierFunctionTests {
    static func library(_ name: String, returning value: String = "args[1]") -> String {
        "#!lua name=\(name)\nredis.register_function('\(name)_f', function(keys, args) return \(value) end)"
    }

    static func load(_ server: RedisServerFixture, _ code: String) async throws {
        let connection = try await server.connect()
        _ = try await connection.send(RESPCommand("FUNCTION", "LOAD", "REPLACE", RESPArgument(code)))
        await connection.close()
    }

    static func verify(_ source: RedisServerFixture, _ target: RedisServerFixture) async throws -> VerificationReport {
        try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
    }

    @Test("the same libraries on both sides pass; no library leaves the summary as it was")
    func sameLibraries() async throws {
        try await withSourceAndTarget { source, target in
            for server in [source, target] { try await run(server.connect(), [RESPCommand("SET", "k", "v")]) }
            let empty = try await Self.verify(source, target)
            #expect(empty.passed)
            #expect(empty.summary == "1 key matches in 1 db")
            #expect(empty.functions == FunctionComparison(outcome: .match, sourceLibraries: 0, targetLibraries: 0))

            // Loaded in another order on each side: the libraries, not the order, are compared.
            for code in [Self.library("one"), Self.library("two")] { try await Self.load(source, code) }
            for code in [Self.library("two"), Self.library("one")] { try await Self.load(target, code) }
            let report = try await Self.verify(source, target)
            #expect(report.passed, "\(report.summary)")
            #expect(report.summary == "1 key matches in 1 db; 2 function libraries match")
            #expect(report.functions?.outcome == .match)
        }
    }

    @Test("a library missing, extra or with other code fails the verification and is named")
    func differentLibraries() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.load(source, Self.library("shared"))
            try await Self.load(target, Self.library("shared", returning: "'changed'"))
            try await Self.load(source, Self.library("onlysource"))
            try await Self.load(target, Self.library("onlytarget"))
            let report = try await Self.verify(source, target)
            #expect(!report.passed)
            #expect(report.mismatchCount == 0, "no key differs")
            let functions = try #require(report.functions)
            #expect(functions.outcome == .differ)
            #expect(functions.sourceLibraries == 2 && functions.targetLibraries == 2)
            #expect(functions.differences.map(\.library) == ["onlysource", "onlytarget", "shared"])
            #expect(functions.differences[0].detail == "missing on the target (LUA)")
            #expect(functions.differences[1].detail == "only on the target")
            #expect(functions.differences[2].detail.hasPrefix("code differs"))
            #expect(report.summary.hasPrefix("0 keys match in 0 dbs; 3 function libraries differ (onlysource: missing"))
        }
    }

    @Test("a target that does not allow FUNCTION: the report says so instead of failing or passing silently")
    func functionNotAllowed() async throws {
        try await withSourceAndTarget { source, target in
            try await Self.load(source, Self.library("lib"))
            let control = try await target.connect()
            _ = try await control.send(RESPCommand("ACL", "SETUSER", "default", "-function"))
            await control.close()
            let report = try await Self.verify(source, target)
            let functions = try #require(report.functions)
            #expect(functions.outcome == .unavailable)
            #expect(functions.note?.hasPrefix("the target refused FUNCTION LIST (NOPERM") == true, "\(functions)")
            #expect(report.summary.contains("; functions not compared: the target refused FUNCTION LIST"))
            #expect(report.passed, "nothing known to differ: the keys decide")
        }
    }

    @Test("a server without FUNCTION (Redis before 7) holds no library: one on the other side differs")
    func noFunctionCommand() {
        let code = ByteBuffer(string: "#!lua name=lib\n")
        let libraries = ["lib": Verifier.FunctionLibrary(engine: "LUA", code: code)]
        let old = Verifier.FunctionListing.noFunctionCommand("ERR unknown command 'FUNCTION'")
        let missing = Verifier.compareFunctions(source: .libraries(libraries), target: old)
        #expect(missing.outcome == .differ)
        #expect(missing.differences.map(\.library) == ["lib"])
        #expect(Verifier.compareFunctions(source: old, target: .libraries([:])).outcome == .match)
        let neither = Verifier.compareFunctions(source: old, target: old)
        #expect(neither.outcome == .unavailable)
        #expect(neither.summary?.hasPrefix("functions not compared: neither server has FUNCTION") == true)
    }
}
