/// A scalar value after interpolation, with the type YAML's resolver gives it.
struct SpecScalar: Sendable {
    /// The YAML type of a scalar, as the core schema resolves it.
    enum Kind: Sendable, Equatable {
        case string
        case integer(Int)
        case float
        case boolean(Bool)
        case null
        case timestamp
        /// Any other explicit tag, e.g. `!!binary`.
        case other(String)
    }

    /// The text after `${VAR}` interpolation.
    var text: String
    var kind: Kind
    /// True when interpolation already failed for this value, so no further checks should pile up.
    var isPoisoned: Bool = false

    /// A short description of the value, such as `string "twelve"` or `integer 12`.
    var foundDescription: String {
        switch kind {
        case .string: return "string \(quoted(text))"
        case .integer: return "integer \(text)"
        case .float: return "number \(text)"
        case .boolean: return "boolean \(text)"
        case .null: return text.isEmpty ? "an empty value" : "null"
        case .timestamp: return "timestamp \(text)"
        case .other(let tag): return "\(tag) value \(quoted(text))"
        }
    }
}
