/// Source positions of a spec's document and fields, used only for messages.
package struct SpecLocations: Codable, Hashable, Sendable {
    /// Where the document (its `apiVersion` key, or first key) is.
    package var document: SourceLocation?
    /// Field positions keyed by dotted path, such as `spec.target.zone`.
    package var fields: [String: SourceLocation]

    package init(document: SourceLocation? = nil, fields: [String: SourceLocation] = [:]) {
        self.document = document
        self.fields = fields
    }

    /// The location of `path`, falling back to the document.
    package func location(of path: String) -> SourceLocation? {
        fields[path] ?? document
    }
}
