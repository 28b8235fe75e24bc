/// The naming rules the loader enforces on names and ids, each returning a message or nil.
///
/// The same rules appear as `pattern`s in `schemas/migration.schema.json`; change both together.
enum NameRules {
    /// Characters the cloud refuses in instance and group names.
    static let forbiddenNameCharacters: [Character] = [" ", "@", "/", ":", "=", "\"", "<", ">", "{", "[", "]", "}"]

    /// Instance and group names: 2–80 characters, starting with a letter, none of the forbidden characters.
    static func checkResourceName(_ value: String, path: String) -> String? {
        let count = value.count
        guard (2...80).contains(count) else {
            return "\(path) must be 2 to 80 characters long, found \(count) (\(quoted(value)))"
        }
        if let first = value.first, !first.isLetter {
            return "\(path) must start with a letter, found \(quoted(value))"
        }
        if let bad = value.first(where: { forbiddenNameCharacters.contains($0) }) {
            let shown = bad == " " ? "a space" : quoted(String(bad))
            return "\(path) must not contain \(shown), found \(quoted(value)) "
                + "(not allowed: space @ / : = \" < > { [ ] })"
        }
        return nil
    }

    /// `metadata.name`: a DNS label, because it names files and tags.
    static func checkMigrationName(_ value: String, path: String) -> String? {
        let scalars = Array(value.unicodeScalars)
        if scalars.isEmpty { return "\(path) must not be empty" }
        if scalars.count > 63 { return "\(path) must be at most 63 characters long, found \(scalars.count)" }
        let allowed = scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard allowed else {
            return "\(path) must contain only lowercase letters, digits and \"-\", found \(quoted(value))"
        }
        if let first = scalars.first, !("a"..."z").contains(first) {
            return "\(path) must start with a lowercase letter, found \(quoted(value))"
        }
        if scalars.last == "-" { return "\(path) must not end with \"-\", found \(quoted(value))" }
        return nil
    }

    /// Cloud ids: a fixed prefix (`r-`, `vpc-`, `vsw-`) then lowercase letters, digits or `-`.
    static func checkID(_ value: String, prefix: String, example: String, what: String, path: String) -> String? {
        let rest = value.unicodeScalars.dropFirst(prefix.unicodeScalars.count)
        let valid =
            value.hasPrefix(prefix) && !rest.isEmpty
            && rest.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard !valid else { return nil }
        return "\(path) must be \(what) id: \"\(prefix)\" followed by lowercase letters, digits or \"-\" "
            + "(like \(example)), found \(quoted(value))"
    }

    /// Region and zone ids: anything non-empty.
    static func checkNonEmpty(_ value: String, path: String) -> String? {
        value.isEmpty ? "\(path) must not be empty" : nil
    }
}
