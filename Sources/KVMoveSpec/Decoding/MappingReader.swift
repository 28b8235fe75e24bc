/// Reads one mapping strictly: unknown keys and missing required keys become diagnostics.
struct MappingReader {
    /// The dotted path of the mapping (like `spec.target`), empty for the document itself.
    let path: String
    let entries: [SpecEntry]
    /// Where "missing key" problems point: the mapping's own key, or the mapping when it has none.
    let anchor: SpecNode

    /// A reader for `node`, or nil (after reporting) when `node` is not a mapping.
    init?(_ node: SpecNode, path: String, key: SpecNode?, diagnostics: inout FileDiagnostics) {
        guard let entries = node.entries else {
            diagnostics.report("\(Self.describe(path)) must be a mapping, found \(node.foundDescription)", at: node)
            return nil
        }
        self.path = path
        self.entries = entries
        self.anchor = key ?? node
    }

    /// `spec.target`, or `the document` for the top level.
    static func describe(_ path: String) -> String {
        path.isEmpty ? "the document" : path
    }

    /// The dotted path of `key` inside this mapping.
    func path(of key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// Reports every key that is not in `allowed`, suggesting the closest valid key.
    func checkKeys(allowed: [String], diagnostics: inout FileDiagnostics) {
        let place = path.isEmpty ? "at the top level" : "in \(path)"
        for entry in entries where !allowed.contains(entry.key) {
            var message = "unknown key \(quoted(entry.key)) \(place)"
            if let suggestion = Suggestion.closest(to: entry.key, in: allowed) {
                message += "; did you mean \(quoted(suggestion))?"
            } else {
                message += "; expected one of: \(allowed.joined(separator: ", "))"
            }
            diagnostics.report(message, at: entry.keyNode)
        }
    }

    /// The entry for `key`, if present.
    func entry(_ key: String) -> SpecEntry? {
        entries.first { $0.key == key }
    }

    /// The entry for `key`, reporting it as missing when absent.
    func required(_ key: String, diagnostics: inout FileDiagnostics, because reason: String? = nil) -> SpecEntry? {
        if let found = entry(key) { return found }
        let place = path.isEmpty ? "at the top level" : "in \(path)"
        var message = "missing required key \(quoted(key)) \(place)"
        if let reason { message += " (\(reason))" }
        diagnostics.report(message, at: anchor)
        return nil
    }
}
