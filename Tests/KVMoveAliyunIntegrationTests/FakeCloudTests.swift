import Foundation
import Testing

/// The fake cloud itself: its pytest checks (through the official SDK's client), and what Swift tests rely on.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct FakeCloudTests {
    @Test("the fake cloud's pytest checks pass (signatures via the official SDK, statuses, faults, replication)")
    func pytestChecks() async throws {
        let python = try PythonTooling.require()
        let result = try await ProcessRun.runDetached(
            python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            directory: PythonTooling.fakeCloudDirectory,
            environment: ProcessInfo.processInfo.environment.merging(["PYTHONDONTWRITEBYTECODE": "1"]) { $1 })
        #expect(
            result.code == 0, "pytest failed:\n\(result.out.suffix(6000))\n\(result.err.suffix(2000))")
        #expect(result.out.contains("passed"))
    }

    @Test(
        "from Swift: seeding; an unsigned request refused (IncompleteSignature) and counted; a restart keeps state")
    func fixtureRoundTrip() async throws {
        let cloud = try await FakeCloud.start()
        do {
            try await cloud.control(
                "POST", "seed",
                [
                    "access_keys": ["LTAIswift": "swift-secret"],
                    "instances": [["InstanceId": "r-swift0001", "backed": false]],
                ])
            let (status, data) = try await cloud.http(
                "POST", "/?RegionId=cn-hangzhou",
                headers: ["x-acs-action": "DescribeInstances", "x-acs-version": "2015-01-01"])
            #expect(status == 400)
            let error = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(error?["Code"] as? String == "IncompleteSignature")
            #expect(try await cloud.callCounts()["DescribeInstances"] == 1)
            let port = cloud.port
            cloud.kill()
            try await cloud.launch()
            #expect(cloud.port == port)
            let instances = try await cloud.state()["instances"] as? [String: Any]
            #expect(instances?["r-swift0001"] != nil)
        } catch {
            await cloud.stop()
            throw error
        }
        await cloud.stop()
    }
}
