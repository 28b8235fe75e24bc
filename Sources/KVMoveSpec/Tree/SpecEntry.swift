/// One key–value pair of a mapping.
struct SpecEntry: Sendable {
    /// The key's text.
    var key: String
    /// Where the key is written.
    var keyNode: SpecNode
    var value: SpecNode
}
