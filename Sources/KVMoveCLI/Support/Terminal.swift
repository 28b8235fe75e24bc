import Foundation

/// Terminal facts: is a stream a terminal, may we use colour, writing to stdout/stderr.
enum Terminal {
    /// True when standard input is a terminal (someone can answer a prompt).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// True when standard output is a terminal.
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Colour only on a terminal, never with `--no-color`, `NO_COLOR` or `TERM=dumb`.
    static func colorEnabled(disabledByFlag: Bool, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Bool
    {
        if disabledByFlag { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return stdoutIsTerminal
    }

    /// Writes `text` to standard output as is.
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `text` and a newline to standard error.
    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
