/// Refuses aliases and collections used as mapping keys before Yams composes a file that has anchors.
///
/// Yams checks for duplicate keys by hashing every key node in full. A key that is an alias of a
/// deeply nested anchor ("billion laughs" as a key) would make that hash take exponential time
/// before the loader's own node budget could stop it. Spec files only ever use plain names as
/// keys, so when a file defines anchors, this scan refuses aliases written in key position,
/// explicit `?` keys and flow collections used as keys. It is deliberately conservative: it only
/// runs when the text contains an anchor, and a false alarm needs an anchor plus key-like text.
struct AliasKeyGuard {
    let source: SourceText

    /// The first alias or complex key in key position, with a message, or nil.
    func check() -> (message: String, position: SourcePosition, length: Int)? {
        guard source.scalars.contains("&") else { return nil }
        for lineNumber in 1...source.lineCount {
            guard let line = source.line(lineNumber) else { continue }
            if let found = check(line: Array(line.unicodeScalars)) {
                return (found.message, SourcePosition(line: lineNumber, column: found.column), found.length)
            }
        }
        return nil
    }

    private func check(line: [Unicode.Scalar]) -> (message: String, column: Int, length: Int)? {
        var index = 0
        var quote: Unicode.Scalar?
        var atTokenStart = true
        while index < line.count {
            let scalar = line[index]
            if let open = quote {
                if scalar == open { quote = nil }
                index += 1
                continue
            }
            switch scalar {
            case "#" where atTokenStart:
                return nil
            case "\"" where atTokenStart, "'" where atTokenStart:
                quote = scalar
            case "?" where atTokenStart && (index + 1 == line.count || line[index + 1] == " "):
                return ("explicit keys (\"? \") are not supported in spec files", index + 1, 1)
            case "*" where atTokenStart:
                var end = index + 1
                while end < line.count, !" ,[]{}".unicodeScalars.contains(line[end]) { end += 1 }
                if isFollowedByKeyColon(line, from: end) {
                    return ("aliases cannot be used as mapping keys in spec files", index + 1, end - index)
                }
                index = end
                atTokenStart = false
                continue
            case "]", "}":
                if isFollowedByKeyColon(line, from: index + 1) {
                    return ("lists and mappings cannot be used as mapping keys in spec files", index + 1, 1)
                }
            default:
                break
            }
            atTokenStart = scalar == " " || scalar == "," || scalar == "[" || scalar == "{"
            index += 1
        }
        return nil
    }

    /// True when only spaces separate `index` from a `:` that ends the line or is followed by a space.
    private func isFollowedByKeyColon(_ line: [Unicode.Scalar], from index: Int) -> Bool {
        var cursor = index
        while cursor < line.count, line[cursor] == " " { cursor += 1 }
        guard cursor < line.count, line[cursor] == ":" else { return false }
        return cursor + 1 == line.count || line[cursor + 1] == " "
    }
}
