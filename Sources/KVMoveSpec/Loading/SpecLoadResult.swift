import KVMoveCore

/// What loading spec files produced: the valid migrations and every problem found.
package struct SpecLoadResult: Sendable {
    /// The migrations that loaded without errors, in file then document order.
    package var specs: [MigrationSpec]
    /// The sandboxes (`kind: Sandbox`) that loaded without errors.
    package var sandboxes: [SandboxSpec] = []
    /// All problems, in file then source order.
    package var diagnostics: [Diagnostic]
    /// The files read, as the paths were given or discovered.
    package var files: [String]

    package init(specs: [MigrationSpec] = [], diagnostics: [Diagnostic] = [], files: [String] = []) {
        self.specs = specs
        self.diagnostics = diagnostics
        self.files = files
    }

    /// True when any diagnostic is an error.
    package var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
