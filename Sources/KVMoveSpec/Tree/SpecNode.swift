/// One node of a composed YAML document, with aliases expanded and `${VAR}` resolved.
///
/// This is the loader's own small tree: Yams composes the document and reports marks; the
/// builder turns that into these nodes so decoding never touches Yams types again.
struct SpecNode: Sendable {
    /// What the node holds.
    enum Value: Sendable {
        case scalar(SpecScalar)
        case mapping([SpecEntry])
        case sequence([SpecNode])
    }

    var value: Value
    /// Where the node's token starts.
    var position: SourcePosition
    /// How many columns the node's token spans on its first line, for underlines.
    var length: Int

    /// The scalar, when this node is one.
    var scalar: SpecScalar? {
        if case .scalar(let scalar) = value { return scalar }
        return nil
    }

    /// The entries, when this node is a mapping.
    var entries: [SpecEntry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    /// A short description of what was found, for "must be X, found Y" messages.
    var foundDescription: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar): return scalar.foundDescription
        }
    }
}
