import Yams

/// Turns a document composed by Yams into a ``SpecNode`` tree, expanding aliases within a budget.
///
/// Yams shares an anchored node between all its aliases, so composing a "billion laughs" file is
/// cheap but walking it is not. The builder counts every node it visits and gives up past
/// ``nodeLimit``, so a hostile file cannot hang the loader or exhaust memory.
struct SpecNodeBuilder {
    /// Thrown when a document expands to more than ``nodeLimit`` nodes.
    struct LimitExceeded: Error {}

    /// The most nodes one document may expand to.
    static let nodeLimit = 10_000

    let interpolator: Interpolator
    let source: SourceText
    private(set) var visited = 0
    /// Problems found on the way (non-scalar keys, interpolation); the tree is still usable.
    private(set) var problems: [(message: String, position: SourcePosition, length: Int)] = []

    init(interpolator: Interpolator, source: SourceText) {
        self.interpolator = interpolator
        self.source = source
    }

    /// Builds the tree for `node`, or throws ``LimitExceeded``.
    mutating func build(_ node: Node) throws -> SpecNode {
        try build(node, isKey: false)
    }

    private mutating func build(_ node: Node, isKey: Bool) throws -> SpecNode {
        visited += 1
        guard visited <= Self.nodeLimit else { throw LimitExceeded() }
        let position =
            node.mark.map { SourcePosition(line: $0.line, column: $0.column) }
            ?? SourcePosition(line: 1, column: 1)
        switch node {
        case .scalar(let scalar):
            return buildScalar(scalar, at: position, isKey: isKey)
        case .mapping(let mapping):
            var entries: [SpecEntry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let keyNode = try build(key, isKey: true)
                let valueNode = try build(value, isKey: false)
                guard let keyScalar = keyNode.scalar else {
                    problems.append(
                        ("mapping keys must be plain names, found \(keyNode.foundDescription)", keyNode.position, 1)
                    )
                    continue
                }
                entries.append(SpecEntry(key: keyScalar.text, keyNode: keyNode, value: valueNode))
            }
            return SpecNode(value: .mapping(entries), position: position, length: 1)
        case .sequence(let sequence):
            var items: [SpecNode] = []
            for item in sequence {
                items.append(try build(item, isKey: false))
            }
            return SpecNode(value: .sequence(items), position: position, length: 1)
        case .alias:
            // Yams resolves aliases while composing; this case does not occur in composed trees.
            return SpecNode(
                value: .scalar(SpecScalar(text: "", kind: .null)), position: position, length: 1
            )
        }
    }

    private mutating func buildScalar(_ scalar: Node.Scalar, at position: SourcePosition, isKey: Bool) -> SpecNode {
        let length = tokenLength(of: scalar, at: position)
        var text = scalar.string
        var poisoned = false
        if !isKey {
            let expanded = interpolator.expand(text)
            text = expanded.text
            for problem in expanded.problems {
                poisoned = true
                let at = source.find("${", ordinal: problem.ordinal, from: position) ?? position
                problems.append((problem.message, at, problem.reference.unicodeScalars.count))
            }
        }
        let kind = Self.kind(of: text, tag: scalar.tag.rawValue, style: scalar.style)
        let value = SpecScalar(text: text, kind: kind, isPoisoned: poisoned)
        return SpecNode(value: .scalar(value), position: position, length: length)
    }

    /// Resolves the YAML type of an (interpolated) scalar the way Yams' default resolver does.
    static func kind(of text: String, tag: String, style: Node.Scalar.Style) -> SpecScalar.Kind {
        var name = tag
        if name == Tag.Name.implicit.rawValue {
            if style == .plain || style == .any {
                name = Resolver.default.resolveTag(of: Node(text)).rawValue
            } else {
                name = Tag.Name.str.rawValue
            }
        } else if name == Tag.Name.nonSpecific.rawValue {
            name = Tag.Name.str.rawValue
        }
        let typed = Node(text, Tag(Tag.Name(rawValue: name)))
        switch name {
        case Tag.Name.str.rawValue: return .string
        case Tag.Name.int.rawValue: return typed.int.map { .integer($0) } ?? .other("!!int")
        case Tag.Name.bool.rawValue: return typed.bool.map { .boolean($0) } ?? .other("!!bool")
        case Tag.Name.float.rawValue: return .float
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.timestamp.rawValue: return .timestamp
        default:
            let prefix = "tag:yaml.org,2002:"
            return .other(name.hasPrefix(prefix) ? "!!" + name.dropFirst(prefix.count) : name)
        }
    }

    /// How many columns a scalar's token spans on its first line.
    private func tokenLength(of scalar: Node.Scalar, at position: SourcePosition) -> Int {
        let rest = source.restOfLine(from: position)
        switch scalar.style {
        case .singleQuoted, .doubleQuoted:
            let quote: Unicode.Scalar = scalar.style == .singleQuoted ? "'" : "\""
            var index = rest.startIndex
            guard index < rest.endIndex, rest[index] == quote else { return 1 }
            index += 1
            while index < rest.endIndex {
                if quote == "\"", rest[index] == "\\" {
                    index += 2
                    continue
                }
                if rest[index] == quote {
                    if quote == "'", index + 1 < rest.endIndex, rest[index + 1] == "'" {
                        index += 2
                        continue
                    }
                    return index - rest.startIndex + 1
                }
                index += 1
            }
            return rest.count
        case .literal, .folded:
            return 1
        default:
            // Plain scalars: the value as written, up to the end of the line.
            return max(1, min(scalar.string.unicodeScalars.count, rest.count))
        }
    }
}
