import Foundation
import Testing

/// kill -9 of `kvmove apply` at several points; a re-run converges with exactly one child ever created.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunKillTests {
    /// Where to kill: the fault that holds apply there, and the fake's call count that says it is there.
    struct KillPoint: CustomStringConvertible, Sendable {
        var description: String
        var fault: [String: any Sendable]?
        var action: String
        /// `received`: the request arrived (its answer may not have); `counts`: it was answered.
        var answered: Bool
    }

    static let points = [
        KillPoint(
            description: "while CreateGlobalDistributeCache is in flight",
            fault: ["action": "CreateGlobalDistributeCache", "kind": "slow", "delay": 1.5],
            action: "CreateGlobalDistributeCache", answered: false),
        KillPoint(
            description: "while CreateInstance is in flight (the cloud creates it anyway)",
            fault: ["action": "CreateInstance", "kind": "slow", "delay": 1.5], action: "CreateInstance",
            answered: false),
        KillPoint(
            description: "right after CreateInstance was answered, while waiting for the child",
            fault: nil, action: "CreateInstance", answered: true),
    ]

    @Test("kill -9 during apply, unlock, apply again: converged, one child", arguments: points)
    func killAndResume(_ point: KillPoint) async throws {
        try await AliyunJourneyTests.withWorld { cloud, cli in
            if let fault = point.fault { try await cloud.control("POST", "faults", fault) }
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            let apply = try BackgroundProcess(
                AliyunCLI.binary, ["apply", "-f", cli.path("orders.yaml"), "--auto-approve"],
                directory: cli.directory, environment: cli.environment)
            let reached = try await BackgroundProcess.waitUntil(seconds: 60) {
                let calls = try await cloud.control("GET", "calls")
                let counts = calls[point.answered ? "counts" : "received"] as? [String: Int] ?? [:]
                return (counts[point.action] ?? 0) >= 1 || !apply.isRunning
            }
            #expect(reached && apply.isRunning, "apply did not reach the point: \(apply.output)")
            apply.killNine()
            _ = try await cli.run(["unlock", "orders-cache", "-f", cli.path("orders.yaml")])
            let resumed = try await cli.run(["apply", "-f", cli.path("orders.yaml"), "--auto-approve"])
            #expect(resumed.code == 0, "\(resumed.out)\n\(resumed.err)")
            #expect(try await AliyunJourneyTests.created(cloud).count == 1)
            // Converged: nothing left to do, the passed verification included (it is recorded on the target).
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode"])
            #expect(plan.code == 0, "\(plan.out)\n\(plan.err)")
        }
    }
}
