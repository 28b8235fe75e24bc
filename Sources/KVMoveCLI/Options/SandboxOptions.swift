import ArgumentParser
import Foundation
import KVMoveLocal

/// `--sandbox DIR`: where the local provider's sandbox lives.
struct SandboxOptions: ParsableArguments {
    @Option(
        name: .customLong("sandbox"),
        help: ArgumentHelp(
            "The local sandbox directory (default: KVMOVE_SANDBOX, else .kvmove/sandbox beside the spec file).",
            valueName: "dir"
        )
    )
    var directory: String?

    /// The sandbox for a spec file (or a directory of spec files, or none).
    func layout(forPath path: String?) -> SandboxLayout {
        var specFile = path
        var isDirectory: ObjCBool = false
        if let path, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            // A file inside the directory, so the sandbox lands in the directory itself.
            specFile = URL(fileURLWithPath: path).appendingPathComponent("sandbox.yaml").path
        }
        return SandboxLayout.resolve(explicit: directory, environment: Terminal.environment, specFile: specFile)
    }
}
