import Foundation

/// Why a condition did not become true in time.
struct ConditionTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 10 ms until it is true; throws when `timeout` passes first.
///
/// It gives up only after a check that began once the deadline had passed was false, so a test task that
/// was not scheduled for a while (a loaded machine) still sees the state as it is, not as it was.
func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        let late = ContinuousClock.now >= deadline
        if try await condition() { return }
        if late { throw ConditionTimeout(description: "timed out waiting: \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

extension Process {
    /// Waits for the process to exit, suspending instead of blocking a thread of the cooperative pool.
    func exited() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        waitUntilExit()  // it has exited: this only collects its status
    }
}
