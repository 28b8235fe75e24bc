import Foundation

/// Why a condition did not become true in time.
struct ConditionTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 10 ms until it is true; throws when `timeout` passes first.
func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionTimeout(description: "timed out waiting: \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
