import Foundation
import KVMoveCore
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Starts channel workers as detached background processes that outlive kvmove.
///
/// A worker is `<executable> <arguments…> sandbox worker --sandbox DIR --group ID`, started in a
/// new session with standard input from `/dev/null` and its output appended to
/// `groups/<id>/worker.log`. Starting returns at once with the worker's process id.
package struct WorkerLauncher: Sendable {
    /// The kvmove executable that has the hidden `sandbox worker` subcommand.
    package var executable: String
    /// Arguments placed before `sandbox worker`.
    package var arguments: [String]

    package init(executable: String, arguments: [String] = []) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The running executable: right for the kvmove CLI itself.
    package static func currentExecutable() -> WorkerLauncher {
        #if os(Linux)
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                return WorkerLauncher(executable: path)
            }
        #endif
        let path = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return WorkerLauncher(executable: URL(fileURLWithPath: path).standardizedFileURL.path)
    }

    /// The command line of the worker for `groupId`.
    package func commandLine(layout: SandboxLayout, groupId: String) -> [String] {
        [executable] + arguments + ["sandbox", "worker", "--sandbox", layout.root.path, "--group", groupId]
    }

    /// Starts the worker for `groupId` and returns its process id.
    package func launch(layout: SandboxLayout, groupId: String) async throws -> Int32 {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ProviderError.sandbox(
                "WorkerNotStarted", "cannot start the channel worker: \(executable) is not an executable file")
        }
        let log = layout.workerLog(groupId)
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        var options = PlatformOptions()
        options.createSession = true
        let script = #"log=$1; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!"#
        let result = try await Subprocess.run(
            .path(FilePath("/bin/sh")),
            arguments: Arguments(["-c", script, "sh", log.path] + commandLine(layout: layout, groupId: groupId)),
            platformOptions: options,
            output: .string(limit: 4096),
            error: .string(limit: 4096)
        )
        guard result.terminationStatus.isSuccess,
            let pid = Int32(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw ProviderError.sandbox(
                "WorkerNotStarted",
                "cannot start the channel worker for \(groupId) (\(result.terminationStatus)): "
                    + result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
                    + "; run kvmove sandbox up to start it again")
        }
        // Until its shell has exec'd the worker, the pid shows the shell's command line; callers check the worker's
        // identity before they trust or signal a recorded pid, so return once it shows (or the process is gone).
        let identity = layout.workerIdentity(groupId)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while ProcessControl.isAlive(pid), !ProcessControl.isAlive(pid, as: identity), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return pid
    }
}
