import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Liveness checks and signals for processes kvmove started but does not wait for.
package enum ProcessControl {
    /// True when `pid` runs (a zombie, which nobody reaped yet, counts as gone).
    package static func isAlive(_ pid: Int32?) -> Bool {
        guard let pid, pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        #if os(Linux)
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            {
                let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
                if state == "Z" || state == "X" { return false }
            }
        #endif
        return true
    }

    /// Sends SIGTERM, waits up to `grace` for the process to end, then sends SIGKILL.
    ///
    /// - Returns: true when the process ended on SIGTERM (or was already gone).
    /// - Throws: `CancellationError` when the task is cancelled while waiting; the signal was sent.
    @discardableResult
    package static func terminate(_ pid: Int32?, grace: Duration = .seconds(5)) async throws -> Bool {
        guard let pid, isAlive(pid) else { return true }
        kill(pid, SIGTERM)
        if try await waitForExit(pid, timeout: grace) { return true }
        kill(pid, SIGKILL)
        _ = try await waitForExit(pid, timeout: .seconds(5))
        return false
    }

    /// Waits until `pid` is gone; returns false on timeout.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    package static func waitForExit(_ pid: Int32, timeout: Duration) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while isAlive(pid) {
            if clock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
