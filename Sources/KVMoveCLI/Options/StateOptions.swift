import ArgumentParser
import Foundation

/// Where the journal and locks live.
struct StateOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Where journals and locks are kept (default: KVMOVE_STATE_DIR, else .kvmove beside the specs).",
            valueName: "dir"
        )
    )
    var stateDir: String?

    /// The state directory for specs at `paths`.
    func directory(forSpecPaths paths: [String]) -> URL {
        if let stateDir { return URL(fileURLWithPath: stateDir) }
        if let env = Terminal.environment["KVMOVE_STATE_DIR"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        guard let first = paths.first else { return URL(fileURLWithPath: ".kvmove") }
        var isDirectory: ObjCBool = false
        let url = URL(fileURLWithPath: first)
        if FileManager.default.fileExists(atPath: first, isDirectory: &isDirectory), isDirectory.boolValue {
            return url.appendingPathComponent(".kvmove")
        }
        return url.deletingLastPathComponent().appendingPathComponent(".kvmove")
    }
}
