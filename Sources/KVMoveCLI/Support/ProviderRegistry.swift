import Foundation
import KVMoveAliyun
import KVMoveCore
import KVMoveLocal
import KVMoveSpec
import Synchronization

/// The providers of one command run, each made once and shared by every migration that names it.
///
/// The run's ``CLIContext`` makes them (``builtIn`` in the shipped binary). A provider that
/// cannot be made is remembered as well, so every migration naming it gets the same error and the
/// factory is asked once per name.
package final class ProviderRegistry: Sendable {
    private let settings: ProviderSettings
    private let make: CLIContext.ProviderFactory
    private let made = Mutex<[String: Result<any Provider, any Error>]>([:])

    /// The registry of a command with `--sandbox` options (`nil` for commands without them).
    init(sandbox: SandboxOptions?, context: CLIContext = .current) {
        self.settings = ProviderSettings(sandboxDirectory: sandbox?.directory, environment: context.environment)
        self.make = context.makeProvider
    }

    /// The provider for a spec's `provider:` name.
    func provider(named name: String) throws -> any Provider {
        try made.withLock { made in
            if let result = made[name] { return try result.get() }
            let result = Result { try make(name, settings) }
            made[name] = result
            return try result.get()
        }
    }

    /// Shuts down every provider made in this run (HTTP clients, connections), once each.
    func shutdown() async {
        let providers = made.withLock { made in
            defer { made = [:] }
            return made.values.compactMap { try? $0.get() }
        }
        for provider in providers { await provider.shutdown() }
    }

    /// Runs `body` with this registry and shuts the providers down afterwards, also when it throws.
    func using<T>(_ body: (ProviderRegistry) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await shutdown()
            return result
        } catch {
            await shutdown()
            throw error
        }
    }

    /// The one place that knows every provider: makes the built-in provider for `name`.
    ///
    /// Spec names (``SpecProviders/names``) are part of the spec language. `local` is the sandbox
    /// of real redis-server processes (`KVMoveLocal`); each migration's sandbox is `--sandbox`, else
    /// `KVMOVE_SANDBOX`, else `.kvmove/sandbox` beside its spec file. `aliyun` is Alibaba Cloud
    /// (`KVMoveAliyun`): credentials, endpoints and passwords come from the run's environment.
    package static func builtIn(_ name: String, settings: ProviderSettings) throws -> any Provider {
        guard SpecProviders.names.contains(name) else {
            throw CLIError(
                "provider \"\(name)\" is unknown; kvmove knows: \(SpecProviders.names.joined(separator: ", "))")
        }
        if name == "local" {
            let (directory, environment) = (settings.sandboxDirectory, settings.environment)
            return LocalProvider(sandboxFor: { spec in
                SandboxLayout.resolve(
                    explicit: directory, environment: environment, specFile: spec.locations.document?.file)
            })
        }
        if name == "aliyun" {
            do {
                return try AliyunProvider(
                    environment: settings.environment, homeDirectory: settings.environment["HOME"])
            } catch {
                throw CLIError("provider \"aliyun\": \(error)")
            }
        }
        throw CLIError("provider \"\(name)\" is not built into this kvmove")
    }
}

/// An operational error of the CLI: what happened and what to do.
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
