import Foundation
import KVMoveCore

/// Prints diagnostics to standard error, `file:line:col: error: …` with the source line and caret.
struct DiagnosticPrinter {
    var color: Bool

    func render(_ diagnostic: Diagnostic) -> String {
        guard color else { return diagnostic.description }
        let lines = diagnostic.description.split(separator: "\n", omittingEmptySubsequences: false)
        let tint =
            switch diagnostic.severity {
            case .error: "\u{1B}[1;31m"
            case .warning: "\u{1B}[1;33m"
            case .note: "\u{1B}[1;36m"
            }
        var out =
            "\u{1B}[1m"
            + String(lines[0]).replacingOccurrences(
                of: "\(diagnostic.severity.rawValue):", with: "\(tint)\(diagnostic.severity.rawValue):\u{1B}[0;1m")
            + "\u{1B}[0m"
        for line in lines.dropFirst() {
            out +=
                "\n"
                + (line.contains("^") && line.trimmingCharacters(in: .whitespaces).first == "^"
                    ? "\u{1B}[32m\(line)\u{1B}[0m" : String(line))
        }
        return out
    }

    func print(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { Terminal.err(render(diagnostic)) }
    }
}
