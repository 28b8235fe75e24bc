import KVMoveSync
import Synchronization
import Testing

/// The token bucket that paces verification's reads on the source.
@Suite("Read pacer")
struct ReadPacerTests {
    @Test("reads beyond the burst wait: 1,000 reads at 2,000 per second take at least 0.4 s")
    func paces() async throws {
        // A virtual clock that moves only when the pacer sleeps: the wall clock of a loaded test machine does not
        // decide the result.
        let start = ContinuousClock.now
        let clock = Mutex(start)
        let pacer = ReadPacer(
            readsPerSecond: 2000, now: { clock.withLock { $0 } },
            sleep: { duration in clock.withLock { $0 = $0.advanced(by: duration) } })
        let started = clock.withLock { $0 }
        for _ in 0..<10 { try await pacer.take(100) }
        let elapsed = clock.withLock { $0 } - started
        // The bucket starts with a tenth of a second's worth (200): 800 more at 2,000/s is 0.4 s.
        #expect(elapsed >= .milliseconds(390), "\(elapsed)")
        #expect(elapsed < .seconds(10), "\(elapsed) (the upper bound is loose: a loaded machine sleeps long)")
    }

    @Test("no limit, or 0, never waits")
    func unlimited() async throws {
        for rate in [nil, 0] as [Int?] {
            // "Never waits": the pacer asks for no sleep at all (checked without the wall clock).
            let sleeps = Mutex(0)
            let pacer = ReadPacer(readsPerSecond: rate, sleep: { _ in sleeps.withLock { $0 += 1 } })
            for _ in 0..<100 { try await pacer.take(1_000_000) }
            #expect(sleeps.withLock { $0 } == 0)
            #expect(await pacer.readsPerSecond == nil)
        }
    }
}
