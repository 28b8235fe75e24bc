import KVMoveSync
import Synchronization
import Testing

/// The applier's batches: ordered ones one after another, unordered ones side by side, failures at once.
@Suite("Batch pipeline")
struct BatchPipelineTests {
    final class Log: Sendable {
        let events = Mutex<[String]>([])
        let running = Atomic<Int>(0)
        let mostRunning = Atomic<Int>(0)
        let reported = Atomic<Bool>(false)

        func run(_ name: String, for duration: Duration) async throws {
            let now = running.wrappingAdd(1, ordering: .relaxed).newValue
            _ = mostRunning.max(now, ordering: .relaxed)
            events.withLock { $0.append("start \(name)") }
            try await Task.sleep(for: duration)
            events.withLock { $0.append("end \(name)") }
            running.subtract(1, ordering: .relaxed)
        }
    }

    struct Refused: Error {}

    @Test("ordered batches start only after the one before them ended, in order")
    func orderedInOrder() async throws {
        let log = Log()
        var pipeline = BatchPipeline()
        for index in 0..<6 {
            // The first batches take longest: were they not ordered, later ones would overtake them.
            try await pipeline.submit { try await log.run("\(index)", for: .milliseconds(30 - 5 * index)) }
        }
        try await pipeline.drain()
        let expected = (0..<6).flatMap { ["start \($0)", "end \($0)"] }
        #expect(log.events.withLock { $0 } == expected)
        let mostRunning = log.mostRunning.load(ordering: .relaxed)
        #expect(mostRunning == 1)
    }

    @Test("unordered batches run side by side, never more than the depth")
    func unorderedSideBySide() async throws {
        let log = Log()
        var pipeline = BatchPipeline()
        for index in 0..<12 {
            try await pipeline.submit(ordered: false) { try await log.run("\(index)", for: .milliseconds(20)) }
        }
        try await pipeline.drain()
        #expect(log.events.withLock { $0 }.count == 24)
        let mostRunning = log.mostRunning.load(ordering: .relaxed)
        #expect(mostRunning > 1)
        #expect(mostRunning <= BatchPipeline.unorderedDepth)
    }

    @Test("a failed batch is reported at once, fails the ordered batches after it, and is thrown by drain")
    func failureStopsWhatFollows() async throws {
        let log = Log()
        var pipeline = BatchPipeline { error in
            if error is Refused { log.reported.store(true, ordering: .relaxed) }
        }
        try await pipeline.submit { try await log.run("0", for: .milliseconds(5)) }
        try await pipeline.submit { throw Refused() }
        do {
            try await pipeline.submit { try await log.run("2", for: .milliseconds(5)) }
            try await pipeline.drain()
            Issue.record("drain did not throw")
        } catch is Refused {
        }
        let reported = log.reported.load(ordering: .relaxed)
        #expect(reported)
        #expect(log.events.withLock { $0 } == ["start 0", "end 0"])
    }
}
