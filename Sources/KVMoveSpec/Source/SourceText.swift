/// The text of one spec file, indexed by line and column the way libyaml counts them.
///
/// Lines are split on the breaks YAML recognises (`\n`, `\r\n`, `\r`, NEL, LS, PS) and columns
/// are counted in Unicode scalars, so a `Mark` from Yams maps straight onto a line and column here.
struct SourceText: Sendable {
    /// Every Unicode scalar of the text.
    let scalars: [Unicode.Scalar]
    /// Scalar offset at which each line starts.
    private let lineStarts: [Int]
    /// Scalar offset at which each line ends (excluding the line break).
    private let lineEnds: [Int]

    init(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        var starts = [0]
        var ends: [Int] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\r":
                ends.append(index)
                if index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
                starts.append(index + 1)
            case "\n", "\u{85}", "\u{2028}", "\u{2029}":
                ends.append(index)
                starts.append(index + 1)
            default:
                break
            }
            index += 1
        }
        ends.append(scalars.count)
        self.scalars = scalars
        self.lineStarts = starts
        self.lineEnds = ends
    }

    /// The number of lines (an empty text has one empty line).
    var lineCount: Int { lineStarts.count }

    /// The text of 1-based `line`, without its line break, or nil past the end.
    func line(_ line: Int) -> String? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[lineStarts[line - 1]..<lineEnds[line - 1]])
        return String(view)
    }

    /// The scalar offset of a 1-based line and column, clamped to the line's end.
    func offset(line: Int, column: Int) -> Int? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        return min(lineStarts[line - 1] + max(0, column - 1), lineEnds[line - 1])
    }

    /// The 1-based line and column of a scalar offset.
    func position(ofOffset offset: Int) -> SourcePosition {
        // Binary search for the last line starting at or before `offset`.
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return SourcePosition(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    /// How many scalars remain on `position`'s line from its column on.
    func remainingOnLine(from position: SourcePosition) -> Int {
        guard let start = offset(line: position.line, column: position.column) else { return 0 }
        return lineEnds[position.line - 1] - start
    }

    /// The scalar at `position`, if the position is inside a line.
    func scalar(at position: SourcePosition) -> Unicode.Scalar? {
        guard let start = offset(line: position.line, column: position.column),
            start < lineEnds[position.line - 1]
        else { return nil }
        return scalars[start]
    }

    /// The scalars from `position` to the end of its line.
    func restOfLine(from position: SourcePosition) -> ArraySlice<Unicode.Scalar> {
        guard let start = offset(line: position.line, column: position.column) else { return [] }
        return scalars[start..<lineEnds[position.line - 1]]
    }

    /// Finds the `ordinal`-th (0-based) occurrence of `needle` at or after `position`.
    func find(_ needle: String, ordinal: Int, from position: SourcePosition) -> SourcePosition? {
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, var index = offset(line: position.line, column: position.column) else { return nil }
        var seen = 0
        while index + pattern.count <= scalars.count {
            if scalars[index..<(index + pattern.count)].elementsEqual(pattern) {
                if seen == ordinal { return self.position(ofOffset: index) }
                seen += 1
            }
            index += 1
        }
        return nil
    }

    /// The width of the scalar token at `position`: a quoted string up to its closing quote, or a
    /// plain value up to a comment or the end of the line.
    func tokenLength(at position: SourcePosition) -> Int {
        let rest = Array(restOfLine(from: position))
        guard let first = rest.first else { return 1 }
        if first == "\"" || first == "'" {
            var index = 1
            while index < rest.count {
                if first == "\"", rest[index] == "\\" {
                    index += 2
                    continue
                }
                if rest[index] == first { return index + 1 }
                index += 1
            }
            return rest.count
        }
        var end = 0
        while end < rest.count, !(rest[end] == "#" && end > 0 && rest[end - 1] == " ") { end += 1 }
        while end > 1, rest[end - 1] == " " { end -= 1 }
        return max(1, end)
    }
}
