import Foundation
import KVMoveCore

/// What one run of the command tree reads and writes: providers, output, environment and input.
///
/// The shipped binary runs with ``process``: the real providers and this process's streams and
/// environment. Tests bind another context around ``KVMoveCommand/run(_:)`` to run commands
/// in-process with fake providers and captured output. Every command reads the context through
/// ``current``; nothing in `KVMoveCLI` reads `ProcessInfo.processInfo.environment` directly.
package struct CLIContext: Sendable {
    /// Makes the provider for a spec's `provider:` name, given how the run configured providers.
    package typealias ProviderFactory = @Sendable (_ name: String, _ settings: ProviderSettings) throws -> any Provider

    /// Makes providers; asked at most once per provider name per command run (``ProviderRegistry`` caches).
    package var makeProvider: ProviderFactory
    /// Receives everything written to standard output, as is.
    package var standardOutput: @Sendable (String) -> Void
    /// Receives everything written to standard error, as is.
    package var standardError: @Sendable (String) -> Void
    /// The environment variables commands see (`KVMOVE_*`, `NO_COLOR`, `TERM`, `${VAR}` in specs).
    package var environment: [String: String]
    /// True when standard input is a terminal (someone can answer a prompt).
    package var stdinIsTerminal: Bool
    /// True when standard output is a terminal (colour may be used).
    package var stdoutIsTerminal: Bool
    /// True when standard error is a terminal (diagnostics may be coloured).
    package var stderrIsTerminal: Bool
    /// Reads one line of standard input without its newline; `nil` at the end of input.
    package var readLine: @Sendable () -> String?
    /// True to turn SIGINT and SIGTERM into a graceful stop during apply (only a whole process should).
    package var trapsSignals: Bool

    /// A context; every part not given is this process's own.
    package init(
        makeProvider: @escaping ProviderFactory = ProviderRegistry.builtIn,
        standardOutput: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
        standardError: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
        environment: [String: String] = ProcessInfo.processInfo.environment,
        stdinIsTerminal: Bool = isatty(STDIN_FILENO) == 1,
        stdoutIsTerminal: Bool = isatty(STDOUT_FILENO) == 1,
        stderrIsTerminal: Bool = isatty(STDERR_FILENO) == 1,
        readLine: @escaping @Sendable () -> String? = { Swift.readLine() },
        trapsSignals: Bool = true
    ) {
        self.makeProvider = makeProvider
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.environment = environment
        self.stdinIsTerminal = stdinIsTerminal
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.readLine = readLine
        self.trapsSignals = trapsSignals
    }

    /// This process: the built-in providers, its streams, its environment, its terminal.
    package static var process: CLIContext { CLIContext() }

    /// The context of the running command; ``process`` unless a caller bound another.
    @TaskLocal package static var current = CLIContext.process
}

/// How a command run configured the built-in providers; a ``CLIContext/ProviderFactory`` may ignore it.
package struct ProviderSettings: Sendable {
    /// `--sandbox DIR` of the command, if given.
    package var sandboxDirectory: String?
    /// The environment of the run (for `KVMOVE_SANDBOX`).
    package var environment: [String: String]

    package init(sandboxDirectory: String? = nil, environment: [String: String] = [:]) {
        self.sandboxDirectory = sandboxDirectory
        self.environment = environment
    }
}
