import Foundation
import KVMoveCore
import Testing

@testable import KVMoveCLI

/// Saved plans: what makes one stale, and what a hand edit cannot do.
struct PlanFileTests {
    func saved(_ plan: Plan) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-\(UUID().uuidString).plan")
        try PlanFile(plan: plan, specFiles: []).write(to: path.path)
        return path.path
    }

    @Test("a plan made for one provider location is stale where the provider now resolves another")
    func settingsAreFacts() {
        var plan = PlanFixtures.freshSync
        plan.migrations[0].settings = ["sandbox": "/sandboxes/a"]
        var observed = ObservedMigration()
        observed.settings = ["sandbox": "/sandboxes/b"]
        let stale = PlanFile.staleFacts(plan, observed: ["orders-cache": observed])
        #expect(stale.contains("orders-cache: setting.sandbox was \"/sandboxes/a\", now \"/sandboxes/b\""))
    }

    @Test("a hand-edited planned value is refused like an edited fact")
    func editedPlannedValues() throws {
        let path = try saved(PlanFixtures.freshSync)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"vpcId\" : \"vpc-bp1app0001\""))
        try text.replacingOccurrences(of: "\"vpcId\" : \"vpc-bp1app0001\"", with: "\"vpcId\" : \"vpc-other\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: CLIError.self) { try PlanFile.read(path) }
        #expect(try PlanFile.read(try saved(PlanFixtures.freshSync)).plan == PlanFixtures.freshSync)
    }

    @Test("a plan file of the previous layout is refused with the way out, not misread")
    func oldVersion() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-\(UUID().uuidString).plan")
        try Data(#"{"kvmove_plan_file": 1, "plan": {}}"#.utf8).write(to: path)
        do {
            _ = try PlanFile.read(path.path)
            Issue.record("an old plan file was accepted")
        } catch {
            #expect("\(error)".contains("has plan file version 1; this kvmove reads version 2"))
        }
    }
}
