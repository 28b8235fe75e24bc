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

    /// A required string field checked by `rule` (which gets the value and the field's path).
    mutating func requiredString(
        _ mapping: MappingReader, _ key: String, rule: (String, String) -> String?
    ) -> String? {
        let path = mapping.path(of: key)
        guard let entry = mapping.required(key, diagnostics: &diagnostics),
            let value = string(entry, path: path),
            check(rule(value, path), at: entry)
        else { return nil }
        return value
    }

    /// A billing mapping: PostPaid, or PrePaid with an allowed `periodMonths` and optional `autoRenew`.
    mutating func billing(_ billing: MappingReader) -> Billing? {
        billing.checkKeys(allowed: ["type", "periodMonths", "autoRenew"], diagnostics: &diagnostics)
        let path = billing.path
        let type = billing.required("type", diagnostics: &diagnostics)
            .flatMap { oneOf(MigrationDecoder.billingTypes, $0, path: "\(path).type") }
        let periodEntry = billing.entry("periodMonths")
        let autoRenewEntry = billing.entry("autoRenew")
        var period = periodEntry.flatMap { integer($0, path: "\(path).periodMonths") }
        let autoRenew = autoRenewEntry.flatMap { boolean($0, path: "\(path).autoRenew") }
        if let value = period, let entry = periodEntry, !Billing.allowedPeriods.contains(value) {
            let allowed = Billing.allowedPeriods.map(String.init).joined(separator: ", ")
            diagnostics.report(
                "\(path).periodMonths must be one of \(allowed), found \(value)",
                at: entry.value
            )
            period = nil
        }
        switch type {
        case "PrePaid":
            if periodEntry == nil {
                _ = billing.required(
                    "periodMonths", diagnostics: &diagnostics, because: "required when type is PrePaid")
            }
            guard let period, autoRenewEntry == nil || autoRenew != nil else { return nil }
            return .prePaid(periodMonths: period, autoRenew: autoRenew ?? false)
        case "PostPaid":
            for entry in [periodEntry, autoRenewEntry].compactMap(\.self) {
                diagnostics.report(
                    "\(path).\(entry.key) is only allowed when type is PrePaid",
                    at: entry.keyNode
                )
            }
            return periodEntry == nil && autoRenewEntry == nil ? .postPaid : nil
        default:
            return nil
        }
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
