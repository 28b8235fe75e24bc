/// A position in a spec file: 1-based line and column (in Unicode scalars).
package struct SourceLocation: Codable, Hashable, Sendable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`, the form editors and CI problem matchers understand.
    package var description: String { "\(file):\(line):\(column)" }
}
