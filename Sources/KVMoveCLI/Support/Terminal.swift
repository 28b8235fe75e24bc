import Foundation

/// Terminal facts of the running command's ``CLIContext``: terminals, colour, writing to stdout/stderr.
enum Terminal {
    /// True when standard input is a terminal (someone can answer a prompt).
    static var stdinIsTerminal: Bool { CLIContext.current.stdinIsTerminal }

    /// True when standard output is a terminal.
    static var stdoutIsTerminal: Bool { CLIContext.current.stdoutIsTerminal }

    /// True when standard error is a terminal.
    static var stderrIsTerminal: Bool { CLIContext.current.stderrIsTerminal }

    /// The environment variables of the running command.
    static var environment: [String: String] { CLIContext.current.environment }

    /// Colour only on a terminal, never with `--no-color`, `NO_COLOR` or `TERM=dumb`.
    static func colorEnabled(disabledByFlag: Bool, environment: [String: String] = Terminal.environment) -> Bool {
        if disabledByFlag { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return stdoutIsTerminal
    }

    /// Writes `text` to standard output as is.
    static func out(_ text: String) {
        CLIContext.current.standardOutput(text)
    }

    /// Writes `text` and a newline to standard error.
    static func err(_ text: String) {
        CLIContext.current.standardError(text + "\n")
    }

    /// Reads one line of standard input, without its newline; `nil` at the end of input.
    static func readLine() -> String? {
        CLIContext.current.readLine()
    }
}
