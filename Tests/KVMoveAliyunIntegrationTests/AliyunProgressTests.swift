import Foundation
import Testing

/// Waits show progress: while the target is being created, its status and the key counts of both instances.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunProgressTests {
    @Test("create-target's wait shows the status and the key counts of source and target over Redis")
    func createTargetShowsKeyCounts() async throws {
        // Slow ticks: the child stays Creating for a few polls.
        let cloud = try await FakeCloud.start(tick: 0.6)
        do {
            try await AliyunCLI.seedStandard(cloud, sourceID: AliyunJourneyTests.sourceID)
            let sourcePort = try await AliyunJourneyTests.port(of: AliyunJourneyTests.sourceID, in: cloud)
            for key in ["a", "b", "c"] {
                _ = try await RedisCommand.send(
                    port: sourcePort, password: AliyunCLI.sourcePassword, ["SET", key, "1"])
            }
            let cli = try AliyunCLI(cloud: cloud)
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let apply = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(apply.code == 0, "\(apply.out)\n\(apply.err)")
            let lines = (apply.out + apply.err).split(separator: "\n").map(String.init)
            let waiting = lines.filter { $0.contains("InstanceStatus Creating") }
            #expect(!waiting.isEmpty, "\(apply.out)")
            #expect(waiting.contains { $0.contains("keys: source 3") }, "\(waiting)")
            #expect(waiting.contains { $0.contains("target ") }, "\(waiting)")
            cli.expectNoSecrets([AliyunCLI.accessKeySecret, AliyunCLI.sourcePassword], in: [apply.out, apply.err])

        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
    }
}
