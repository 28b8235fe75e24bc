/// Reads `apiVersion` and `kind`, the two keys that decide how the rest of a document is read.
enum DocumentHeader {
    /// The document's kind, or nil (after reporting) when it is missing or not one the loader reads.
    ///
    /// A wrong `apiVersion` is reported but does not stop a known kind from being checked further,
    /// so the user sees every problem of the document at once.
    static func read(
        _ root: MappingReader, accepting kinds: [DocumentKind], context: inout DecodingContext
    ) -> DocumentKind? {
        if let entry = root.required("apiVersion", diagnostics: &context.diagnostics),
            let version = context.string(entry, path: "apiVersion"),
            version != DocumentKind.apiVersion
        {
            context.diagnostics.report(
                "apiVersion \(quoted(version)) is not supported; expected \(DocumentKind.apiVersion)",
                at: entry.value
            )
        }
        guard let entry = root.required("kind", diagnostics: &context.diagnostics),
            let name = context.string(entry, path: "kind")
        else { return nil }
        guard let kind = kinds.first(where: { $0.rawValue == name }) else {
            let expected = kinds.map(\.rawValue).joined(separator: " or ")
            context.diagnostics.report("kind \(quoted(name)) is not supported; expected \(expected)", at: entry.value)
            return nil
        }
        return kind
    }
}
