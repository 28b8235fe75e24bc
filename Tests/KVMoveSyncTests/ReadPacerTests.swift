import KVMoveSync
import Testing

/// The token bucket that paces verification's reads on the source.
@Suite("Read pacer")
struct ReadPacerTests {
    @Test("reads beyond the burst wait: 1,000 reads at 2,000 per second take at least 0.4 s")
    func paces() async throws {
        let pacer = ReadPacer(readsPerSecond: 2000)
        let started = ContinuousClock.now
        for _ in 0..<10 { try await pacer.take(100) }
        let elapsed = ContinuousClock.now - started
        // The bucket starts with a tenth of a second's worth (200): 800 more at 2,000/s is 0.4 s.
        #expect(elapsed >= .milliseconds(390), "\(elapsed)")
        #expect(elapsed < .seconds(10), "\(elapsed) (the upper bound is loose: a loaded machine sleeps long)")
    }

    @Test("no limit, or 0, never waits")
    func unlimited() async throws {
        for pacer in [ReadPacer(readsPerSecond: nil), ReadPacer(readsPerSecond: 0)] {
            let started = ContinuousClock.now
            for _ in 0..<100 { try await pacer.take(1_000_000) }
            #expect(ContinuousClock.now - started < .milliseconds(200))
            #expect(await pacer.readsPerSecond == nil)
        }
    }
}
