import ArgumentParser
import Foundation
import KVMoveCore
import KVMoveSpec

/// `kvmove validate`: checks specs and reports every problem at once.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check migration specs and report every problem at once.",
        discussion: """
            Each problem is printed as `file:line:col: error: message`, then the source line and a caret. \
            Nothing is observed or changed. Exit 0 when clean, 1 on any error.

            Examples:
              kvmove validate migrations/
              kvmove validate -f orders.yaml -f sessions.yaml
              KVMOVE_ENV=staging kvmove validate envs/
            """
    )

    @Argument(help: ArgumentHelp("Spec files or directories.", valueName: "path"))
    var positional: [String] = []

    @OptionGroup var specs: SpecOptions

    @Flag(name: .customLong("no-color"), help: "Never use colour.")
    var noColor = false

    func run() throws {
        let paths = positional + specs.paths
        guard !paths.isEmpty else { throw ValidationError("give at least one spec file or directory") }
        let color = Terminal.colorEnabled(disabledByFlag: noColor) && Terminal.stderrIsTerminal
        let result = SpecLoader(environment: Terminal.environment).load(paths: paths)
        DiagnosticPrinter(color: color).print(result.diagnostics)
        let errors = result.diagnostics.count { $0.severity == .error }
        if errors > 0 {
            Terminal.err(
                "\(errors) error\(errors == 1 ? "" : "s") in \(result.files.count) file\(result.files.count == 1 ? "" : "s")."
            )
            throw ExitCode.failure
        }
        let count = result.specs.count
        let sandboxes = result.sandboxes.count
        let sandboxText = sandboxes == 0 ? "" : " and \(sandboxes) sandbox\(sandboxes == 1 ? "" : "es")"
        let files = result.files.count
        Terminal.out(
            "\(count) migration\(count == 1 ? "" : "s")\(sandboxText) in \(files) file\(files == 1 ? "" : "s") valid.\n"
        )
    }
}
