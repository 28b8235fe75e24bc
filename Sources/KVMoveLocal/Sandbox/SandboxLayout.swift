import Foundation

/// Where everything of one sandbox lives on disk.
///
/// ```
/// <root>/state.json                  the emulated cloud (atomic writes)
/// <root>/state.lock                  flock'ed for every read-modify-write
/// <root>/instances/<id>/redis.conf   config (no password in it)
/// <root>/instances/<id>/password     the generated password, mode 0600
/// <root>/instances/<id>/data/        AOF and RDB files
/// <root>/instances/<id>/redis.log
/// <root>/groups/<id>/worker.log      the channel worker's output
/// <root>/groups/<id>/checkpoint.json the channel's applied position (replid, offset, db)
/// <root>/groups/<id>/kvmove-spool-*  the channel's spool file while the target is slow (unlinked at once)
/// <root>/reports/                    verification reports when apply has no state directory
/// ```
package struct SandboxLayout: Sendable, Hashable {
    /// The sandbox directory.
    package let root: URL

    package init(root: URL) {
        self.root = root.standardizedFileURL
    }

    package var stateFile: URL { root.appendingPathComponent("state.json") }
    package var lockFile: URL { root.appendingPathComponent("state.lock") }
    package var reportsDirectory: URL { root.appendingPathComponent("reports") }

    package func instanceDirectory(_ id: String) -> URL {
        root.appendingPathComponent("instances").appendingPathComponent(id)
    }

    package func configFile(_ id: String) -> URL { instanceDirectory(id).appendingPathComponent("redis.conf") }
    package func passwordFile(_ id: String) -> URL { instanceDirectory(id).appendingPathComponent("password") }
    package func dataDirectory(_ id: String) -> URL { instanceDirectory(id).appendingPathComponent("data") }
    package func logFile(_ id: String) -> URL { instanceDirectory(id).appendingPathComponent("redis.log") }
    package func pidFile(_ id: String) -> URL { instanceDirectory(id).appendingPathComponent("redis.pid") }

    /// How instance `id`'s redis-server looks from `/proc`: the program, running in the instance's data directory.
    package func serverIdentity(_ id: String) -> ProcessIdentity {
        ProcessIdentity(program: "redis-server", workingDirectory: dataDirectory(id).path)
    }

    /// How the channel worker of group `id` looks from `/proc`: its `sandbox worker` arguments.
    package func workerIdentity(_ id: String) -> ProcessIdentity {
        ProcessIdentity(arguments: ["worker", "--sandbox", root.path, "--group", id])
    }

    /// The pid redis-server wrote to its pid file for instance `id`, if the file exists and holds one.
    package func recordedPid(_ id: String) -> Int32? {
        guard let text = try? String(contentsOf: pidFile(id), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    package func groupDirectory(_ id: String) -> URL {
        root.appendingPathComponent("groups").appendingPathComponent(id)
    }

    package func workerLog(_ id: String) -> URL { groupDirectory(id).appendingPathComponent("worker.log") }

    /// The channel worker's checkpoint: the position it applied, written after the target acknowledged it.
    package func checkpointFile(_ id: String) -> URL { groupDirectory(id).appendingPathComponent("checkpoint.json") }

    /// The name of the environment variable that overrides the sandbox directory.
    package static let environmentVariable = "KVMOVE_SANDBOX"

    /// Resolves the sandbox directory: an explicit `--sandbox`, else `KVMOVE_SANDBOX`, else
    /// `.kvmove/sandbox` beside `specFile` (or in the current directory when there is none).
    package static func resolve(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        specFile: String?
    ) -> SandboxLayout {
        if let explicit, !explicit.isEmpty { return SandboxLayout(root: URL(fileURLWithPath: explicit)) }
        if let path = environment[environmentVariable], !path.isEmpty {
            return SandboxLayout(root: URL(fileURLWithPath: path))
        }
        let base =
            specFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return SandboxLayout(root: base.appendingPathComponent(".kvmove").appendingPathComponent("sandbox"))
    }
}
