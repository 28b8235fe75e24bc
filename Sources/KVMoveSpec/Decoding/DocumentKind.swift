/// The kinds of document a spec file may hold, by their `kind:` value.
///
/// Migrations and sandboxes exist so far. A new kind gets a case here and a decoder of its own; the
/// header check and the "not supported" message pick it up from ``allCases``.
enum DocumentKind: String, CaseIterable, Sendable {
    case migration = "Migration"
    case sandbox = "Sandbox"

    /// The `apiVersion` every kind is currently written in.
    static let apiVersion = "kvmove/v1"
}
