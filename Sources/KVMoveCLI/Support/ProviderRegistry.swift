import Foundation
import KVMoveCore
import KVMoveLocal

/// The one place that knows every provider.
///
/// Spec names `local` and `aliyun` are part of the spec language. `local` is the sandbox of
/// real redis-server processes (`KVMoveLocal`); each migration's sandbox is `--sandbox`, else
/// `KVMOVE_SANDBOX`, else `.kvmove/sandbox` beside its spec file. `aliyun` arrives in its own
/// module; until it is built in, naming it is a clear error, not a crash.
struct ProviderRegistry: Sendable {
    /// Names the spec language knows.
    static let known = ["local", "aliyun"]

    private let sandboxDirectory: String?
    private let environment: [String: String]

    init(sandbox: SandboxOptions? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.sandboxDirectory = sandbox?.directory
        self.environment = environment
    }

    /// The provider for a spec's `provider:` name.
    func provider(named name: String) throws -> any Provider {
        guard Self.known.contains(name) else {
            throw CLIError("provider \"\(name)\" is unknown; kvmove knows: \(Self.known.joined(separator: ", "))")
        }
        if name == "local" {
            let (directory, environment) = (sandboxDirectory, environment)
            return LocalProvider(sandboxFor: { spec in
                SandboxLayout.resolve(
                    explicit: directory, environment: environment, specFile: spec.locations.document?.file)
            })
        }
        throw CLIError(
            "provider \"\(name)\" is not available in this build of kvmove yet; "
                + "use provider: local (a sandbox of real redis-server processes, see kvmove sandbox --help)"
        )
    }
}

/// An operational error of the CLI: what happened and what to do.
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
