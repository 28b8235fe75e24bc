import KVMoveCore
import Yams

/// Turns a Yams error into `file:line:col` diagnostics with the source line and a caret.
struct YAMLErrorTranslator {
    let source: SourceText

    /// Reports `error` into `diagnostics`.
    func report(_ error: any Error, into diagnostics: inout FileDiagnostics) {
        guard let error = error as? YamlError else {
            diagnostics.reportFile("invalid YAML: \(error)")
            return
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            reportSyntax(context: context, problem: problem, at: position(mark), into: &diagnostics)
        case .reader(let problem, let offset, let value, let yaml):
            let at = offset.flatMap { characterOffset in position(ofCharacterOffset: characterOffset, in: yaml) }
            var message = "invalid YAML: \(problem)"
            if value >= 0 {
                let hex = String(value, radix: 16, uppercase: true)
                message += " (U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex))"
            }
            if let at {
                diagnostics.report(.error, message, at: at)
            } else {
                diagnostics.reportFile(message)
            }
        case .duplicatedKeysInMapping(let keys, let context):
            let key = keys.sorted().first ?? ""
            let first = position(context.mark)
            let locator = DuplicateKeyLocator(source: source)
            for duplicate in locator.locate(key: key, first: first) {
                let length = duplicate.key.unicodeScalars.count
                let firstLocation = diagnostics.location(duplicate.first)
                if let repeated = duplicate.repeated {
                    diagnostics.report(
                        .error, "duplicate key \(quoted(duplicate.key)); first defined at \(firstLocation)",
                        at: repeated, length: length)
                } else {
                    diagnostics.report(
                        .error, "duplicate key \(quoted(duplicate.key)) in this mapping", at: duplicate.first,
                        length: length)
                }
            }
        default:
            diagnostics.reportFile("invalid YAML: \(error)")
        }
    }

    private func reportSyntax(
        context: YamlError.Context?, problem: String, at problemPosition: SourcePosition,
        into diagnostics: inout FileDiagnostics
    ) {
        if source.scalar(at: problemPosition) == "\t" {
            diagnostics.report(
                .error, "tab characters are not allowed in YAML indentation; indent with spaces", at: problemPosition)
            return
        }
        guard let context else {
            diagnostics.report(.error, "invalid YAML: \(problem)", at: problemPosition)
            return
        }
        let started = position(context.mark)
        let construct = Self.constructs.first { context.text.hasSuffix($0.context) }
        if let construct, isAtEnd(problemPosition) {
            // The file ended inside a quote or bracket: point at where it was opened.
            let message =
                "invalid YAML: \(construct.name) is never closed; the file ends before its \(construct.closer)"
            diagnostics.report(.error, message, at: started, length: 1)
            return
        }
        var message = "invalid YAML: \(problem) \(context.text)"
        if let construct, let closer = construct.separatorHint, problem.hasPrefix("did not find expected") {
            message =
                "invalid YAML: expected \(closer) to continue \(construct.name) that starts at line "
                + "\(started.line), column \(started.column); is its \(construct.closer) missing?"
        } else if started != problemPosition {
            message += " started at line \(started.line), column \(started.column)"
        }
        diagnostics.report(.error, message, at: problemPosition)
    }

    /// Constructs libyaml names in its error context, with how to talk about them.
    private static let constructs: [(context: String, name: String, closer: String, separatorHint: String?)] = [
        ("while scanning a quoted scalar", "this quoted string", "closing quote", nil),
        ("while parsing a flow sequence", "the \"[\" list", "\"]\"", "\",\" or \"]\""),
        ("while parsing a flow mapping", "the \"{\" mapping", "\"}\"", "\",\" or \"}\""),
    ]

    /// True when only whitespace follows `position` in the file.
    private func isAtEnd(_ position: SourcePosition) -> Bool {
        guard let offset = source.offset(line: position.line, column: position.column) else { return true }
        return source.scalars[offset...].allSatisfy { $0.properties.isWhitespace }
    }

    private func position(_ mark: Mark) -> SourcePosition {
        SourcePosition(line: mark.line, column: mark.column)
    }

    /// Converts an offset in Characters of `text` (as Yams reports reader errors) to a position.
    private func position(ofCharacterOffset offset: Int, in text: String) -> SourcePosition? {
        guard let index = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) else { return nil }
        let scalarOffset = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: index)
        return source.position(ofOffset: scalarOffset)
    }
}
