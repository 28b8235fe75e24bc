import Foundation
import KVMoveCore
import KVMoveTestSupport

/// A new empty directory under the system's temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Observes `specs` with `provider` and plans them.
func observeAndPlan(_ specs: [MigrationSpec], _ provider: FakeProvider) async throws -> Plan {
    try Planner(toolVersion: "test").plan(specs, observed: try await provider.observe(specs), createdAt: "t")
}
