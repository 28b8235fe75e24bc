import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a process kvmove started looks like from `/proc`, so a pid read back from disk is signalled only
/// while it still names that process: pids are reused, and a recorded one may belong to anything by now.
///
/// The check reads `/proc/<pid>/cmdline` (and `/proc/<pid>/cwd`): the program's name, arguments it was
/// started with, and its working directory. Where there is no `/proc` every process matches.
package struct ProcessIdentity: Sendable, Hashable, CustomStringConvertible {
    /// A substring of the first word of the command line (redis-server rewrites its title, keeping its name).
    package var program: String?
    /// Words the command line must hold, each exactly.
    package var arguments: [String]
    /// The directory the process runs in (redis-server changes to its `dir`).
    package var workingDirectory: String?

    package init(program: String? = nil, arguments: [String] = [], workingDirectory: String? = nil) {
        self.program = program
        self.arguments = arguments
        self.workingDirectory = workingDirectory
    }

    /// True when `pid` is this process.
    package func matches(_ pid: Int32) -> Bool {
        #if os(Linux)
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                return false
            }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let program {
                let first = words.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
                guard first.contains(program) else { return false }
            }
            guard arguments.allSatisfy(words.contains) else { return false }
            if let workingDirectory {
                guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                    URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path
                        == URL(fileURLWithPath: workingDirectory).resolvingSymlinksInPath().path
                else { return false }
            }
            return true
        #else
            return true
        #endif
    }

    package var description: String {
        ([program.map { "program \($0)" }, workingDirectory.map { "in \($0)" }].compactMap { $0 }
            + arguments.map { "argument \($0)" }).joined(separator: ", ")
    }
}

/// Liveness checks and signals for processes kvmove started but does not wait for.
package enum ProcessControl {
    /// True when `pid` runs (a zombie, which nobody reaped yet, counts as gone) and, when `identity` is given,
    /// is still that process.
    package static func isAlive(_ pid: Int32?, as identity: ProcessIdentity? = nil) -> Bool {
        guard let pid, isRunning(pid) else { return false }
        return identity?.matches(pid) ?? true
    }

    private static func isRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
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
    /// With `identity`, each signal is sent only while `pid` is still that process (checked right before
    /// it): a pid that now belongs to another process is left alone and counts as gone.
    ///
    /// - Returns: true when the process ended on SIGTERM (or was already gone).
    /// - Throws: `CancellationError` when the task is cancelled while waiting; the signal was sent.
    @discardableResult
    package static func terminate(_ pid: Int32?, as identity: ProcessIdentity?, grace: Duration = .seconds(5))
        async throws -> Bool
    {
        guard let pid, isAlive(pid, as: identity) else { return true }
        kill(pid, SIGTERM)
        if try await waitForExit(pid, as: identity, timeout: grace) { return true }
        guard isAlive(pid, as: identity) else { return true }
        kill(pid, SIGKILL)
        _ = try await waitForExit(pid, as: identity, timeout: .seconds(5))
        return false
    }

    /// Waits until `pid` is gone (or, with `identity`, is no longer that process); returns false on timeout.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    package static func waitForExit(_ pid: Int32, as identity: ProcessIdentity? = nil, timeout: Duration)
        async throws -> Bool
    {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while isAlive(pid, as: identity) {
            if clock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
