import KVMoveCore

/// Prints diagnostics to standard error, `file:line:col: error: …` with the source line and caret.
struct DiagnosticPrinter {
    var color: Bool

    /// The diagnostic as text; with colour the severity is tinted, the message bold and the caret green.
    func render(_ diagnostic: Diagnostic) -> String {
        guard color else { return diagnostic.description }
        let style = TerminalStyle(enabled: true)
        let tint: TerminalStyle.Attribute =
            switch diagnostic.severity {
            case .error: .red
            case .warning: .yellow
            case .note: .cyan
            }
        let place = diagnostic.location.map { "\($0): " } ?? ""
        var out =
            style.paint(place, .bold) + style.paint("\(diagnostic.severity.rawValue):", .bold, tint) + " "
            + style.paint(diagnostic.message, .bold)
        // The snippet (source line and caret) follows the headline, as in the plain rendering.
        let snippet = diagnostic.description.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        for (index, line) in snippet.enumerated() {
            out += "\n" + (index == 1 ? style.paint(String(line), .green) : String(line))
        }
        return out
    }

    func print(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { Terminal.err(render(diagnostic)) }
    }
}
