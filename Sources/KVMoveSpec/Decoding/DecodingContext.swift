import KVMoveCore

/// What decoding one document accumulates: its diagnostics and the positions of its fields.
///
/// Typed readers report "must be X, found Y" problems and return nil, so a decoder reads every
/// field, reports everything wrong at once, and builds a value only when nothing was.
struct DecodingContext {
    var diagnostics: FileDiagnostics
    /// Field positions by dotted path: the value for scalars, the key for mappings and lists.
    var fields: [String: SourceLocation] = [:]

    init(diagnostics: FileDiagnostics) {
        self.diagnostics = diagnostics
    }

    /// Remembers where the field at `path` is written.
    mutating func record(_ path: String, _ entry: SpecEntry) {
        let node = entry.value.scalar == nil ? entry.keyNode : entry.value
        fields[path] = diagnostics.location(node.position)
    }

    /// A reader for the mapping under `entry`, recording its position.
    mutating func mapping(_ entry: SpecEntry, path: String) -> MappingReader? {
        record(path, entry)
        return MappingReader(entry.value, path: path, key: entry.keyNode, diagnostics: &diagnostics)
    }

    /// The string under `entry`, or nil after reporting a wrong type.
    mutating func string(_ entry: SpecEntry, path: String) -> String? {
        record(path, entry)
        guard let scalar = entry.value.scalar, scalar.kind == .string else {
            mismatch(entry, path: path, expected: "a string")
            return nil
        }
        return scalar.isPoisoned ? nil : scalar.text
    }

    /// The integer under `entry`, or nil after reporting a wrong type.
    mutating func integer(_ entry: SpecEntry, path: String) -> Int? {
        record(path, entry)
        guard let scalar = entry.value.scalar, case .integer(let value) = scalar.kind else {
            mismatch(entry, path: path, expected: "an integer")
            return nil
        }
        return value
    }

    /// The boolean under `entry`, or nil after reporting a wrong type.
    mutating func boolean(_ entry: SpecEntry, path: String) -> Bool? {
        record(path, entry)
        guard let scalar = entry.value.scalar, case .boolean(let value) = scalar.kind else {
            mismatch(entry, path: path, expected: "a boolean (true or false)")
            return nil
        }
        return value
    }

    /// One of `allowed` under `entry`, or nil after reporting, with a suggestion for near misses.
    mutating func oneOf(_ allowed: [String], _ entry: SpecEntry, path: String) -> String? {
        guard let value = string(entry, path: path) else { return nil }
        guard allowed.contains(value) else {
            var message = "\(path) must be one of \(allowed.joined(separator: ", ")), found \(quoted(value))"
            if let suggestion = Suggestion.closest(to: value, in: allowed) {
                message += "; did you mean \(quoted(suggestion))?"
            }
            diagnostics.report(message, at: entry.value)
            return nil
        }
        return value
    }

    /// Reports `message` (from a rule) at `entry`'s value when it is not nil.
    @discardableResult
    mutating func check(_ message: String?, at entry: SpecEntry) -> Bool {
        guard let message else { return true }
        diagnostics.report(message, at: entry.value)
        return false
    }

    private mutating func mismatch(_ entry: SpecEntry, path: String, expected: String) {
        if entry.value.scalar?.isPoisoned == true { return }
        diagnostics.report("\(path) must be \(expected), found \(entry.value.foundDescription)", at: entry.value)
    }
}
