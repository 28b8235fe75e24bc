import KVMoveCore
import Testing

struct DurationTextTests {
    @Test(
        "durations parse to seconds",
        arguments: [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2h", 7200), ("1h0m5s", 3605), ("0s", 0)]
    )
    func valid(_ text: String, _ seconds: Int) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test("anything else is rejected", arguments: ["", "30", "s", "5m1h", "1h1h", "1d", "-5s", "1.5h", "1234567890s"])
    func invalid(_ text: String) {
        #expect(DurationText.seconds(text) == nil)
    }
}
