import KVMoveCore

/// Collects the diagnostics of one file, attaching the source line and underline to each.
struct FileDiagnostics: Sendable {
    /// The file as the user named it.
    let file: String
    /// The file's text, for source lines.
    let source: SourceText
    /// What was reported so far, in the order it was reported.
    private(set) var all: [Diagnostic] = []

    init(file: String, source: SourceText) {
        self.file = file
        self.source = source
    }

    /// How many errors were reported so far.
    var errorCount: Int { all.count { $0.severity == .error } }

    /// The location of `position` in this file.
    func location(_ position: SourcePosition) -> SourceLocation {
        SourceLocation(file: file, line: position.line, column: position.column)
    }

    /// Reports a problem at `position`, underlining `length` columns (clamped to the line).
    mutating func report(
        _ severity: Diagnostic.Severity = .error,
        _ message: String,
        at position: SourcePosition,
        length: Int = 1
    ) {
        let sourceLine = source.line(position.line)
        let underline = max(1, min(length, source.remainingOnLine(from: position)))
        all.append(
            Diagnostic(severity, message, at: location(position), sourceLine: sourceLine, length: underline)
        )
    }

    /// Reports a problem at a node, underlining the node's token.
    mutating func report(_ message: String, at node: SpecNode) {
        report(.error, message, at: node.position, length: node.length)
    }

    /// The width of the scalar token written at `position`.
    func tokenLength(at position: SourcePosition) -> Int {
        source.tokenLength(at: position)
    }

    /// Reports a problem about the whole file, at its first line but without a snippet.
    mutating func reportFile(_ message: String) {
        all.append(Diagnostic(.error, message, at: SourceLocation(file: file, line: 1, column: 1)))
    }

    /// Adds an already-built diagnostic.
    mutating func append(_ diagnostic: Diagnostic) {
        all.append(diagnostic)
    }

    /// The diagnostics in source order (stable for equal positions).
    var sorted: [Diagnostic] {
        all.enumerated()
            .sorted { lhs, rhs in
                let left = lhs.element.location.map { ($0.line, $0.column) } ?? (0, 0)
                let right = rhs.element.location.map { ($0.line, $0.column) } ?? (0, 0)
                return left != right ? left < right : lhs.offset < rhs.offset
            }
            .map(\.element)
    }
}
