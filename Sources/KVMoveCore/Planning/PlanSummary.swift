/// Step counts per action, for the `Plan: …` line.
package struct PlanSummary: Codable, Hashable, Sendable {
    package var create: Int
    package var change: Int
    package var release: Int
    package var check: Int

    package init(steps: [Step]) {
        create = steps.count { $0.action == .create }
        change = steps.count { $0.action == .change }
        release = steps.count { $0.action == .release }
        check = steps.count { $0.action == .check }
    }

    /// The `Plan: N to create, N to change, N to release, N to wait/check.` summary line.
    package var line: String {
        "Plan: \(create) to create, \(change) to change, \(release) to release, \(check) to wait/check."
    }
}
