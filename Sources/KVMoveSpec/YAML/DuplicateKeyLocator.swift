import Yams

/// Finds where a duplicated mapping key is repeated.
///
/// Yams reports a duplicate key at its first occurrence only. To point at the repetition, the
/// locator hides the first occurrence behind a same-width placeholder, composes the text again,
/// and looks in the mapping that now holds the placeholder for the key that is still there.
/// Columns stay exact because the placeholder has as many Unicode scalars as the key.
struct DuplicateKeyLocator {
    /// One duplicate: the key, where it is first written, and where it is written again.
    struct Duplicate: Equatable {
        var key: String
        var first: SourcePosition
        var repeated: SourcePosition?
    }

    /// How many duplicates are looked for before giving up.
    static let limit = 8

    let source: SourceText

    /// Locates the duplicate Yams reported (`key` first written at `first`) and any others after it.
    func locate(key: String, first: SourcePosition) -> [Duplicate] {
        var scalars = source.scalars
        var hidden: [(key: String, first: SourcePosition, placeholder: String)] = []
        var next: (key: String, first: SourcePosition)? = (key, first)
        var roots: [Node] = []
        while let pending = next, hidden.count < Self.limit {
            let (key, first) = pending
            next = nil
            let placeholderScalar = Unicode.Scalar(0xE000 + UInt32(hidden.count)) ?? "\u{E000}"
            guard let placeholder = hide(key: key, at: first, in: &scalars, with: placeholderScalar) else { break }
            hidden.append((key, first, placeholder))
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            let result = YAMLStream.compose(String(view))
            roots = result.roots
            if case .duplicatedKeysInMapping(let keys, let context)? = result.error as? YamlError,
                let again = keys.sorted().first
            {
                next = (again, SourcePosition(line: context.mark.line, column: context.mark.column))
            }
        }
        guard !hidden.isEmpty else { return [Duplicate(key: key, first: first, repeated: nil)] }
        let placeholders = Dictionary(hidden.map { ($0.placeholder, $0.key) }, uniquingKeysWith: { first, _ in first })
        var mappings: [[(key: String, position: SourcePosition)]] = []
        for root in roots { collectMappings(root, into: &mappings, budget: SpecNodeBuilder.nodeLimit) }
        var duplicates: [Duplicate] = []
        for item in hidden {
            var repeated: SourcePosition?
            for keys in mappings {
                guard let index = keys.firstIndex(where: { $0.position == item.first }) else { continue }
                repeated = keys[(index + 1)...].first { (placeholders[$0.key] ?? $0.key) == item.key }?.position
                break
            }
            // A third occurrence is reported against the first one, not against the second.
            let original = duplicates.first { $0.key == item.key && $0.repeated == item.first }?.first
            duplicates.append(Duplicate(key: item.key, first: original ?? item.first, repeated: repeated))
        }
        return duplicates
    }

    /// Replaces the key's text at `position` with a placeholder of the same width.
    private func hide(
        key: String, at position: SourcePosition, in scalars: inout [Unicode.Scalar], with placeholder: Unicode.Scalar
    ) -> String? {
        guard var start = source.offset(line: position.line, column: position.column) else { return nil }
        if start < scalars.count, scalars[start] == "\"" || scalars[start] == "'" { start += 1 }
        let keyScalars = Array(key.unicodeScalars)
        guard !keyScalars.isEmpty, start + keyScalars.count <= scalars.count,
            scalars[start..<(start + keyScalars.count)].elementsEqual(keyScalars)
        else { return nil }
        for index in start..<(start + keyScalars.count) { scalars[index] = placeholder }
        return String(repeating: Character(placeholder), count: keyScalars.count)
    }

    /// Collects the scalar keys of every mapping, with their positions, within a node budget.
    private func collectMappings(
        _ node: Node, into mappings: inout [[(key: String, position: SourcePosition)]], budget: Int
    ) {
        var remaining = budget
        var stack = [node]
        while let current = stack.popLast(), remaining > 0 {
            remaining -= 1
            switch current {
            case .mapping(let mapping):
                var keys: [(key: String, position: SourcePosition)] = []
                for (key, value) in mapping {
                    if case .scalar(let scalar) = key, let mark = scalar.mark {
                        keys.append((scalar.string, SourcePosition(line: mark.line, column: mark.column)))
                    }
                    stack.append(value)
                }
                mappings.append(keys)
            case .sequence(let sequence):
                stack.append(contentsOf: sequence)
            case .scalar, .alias:
                break
            }
        }
    }
}
