import KVMoveCore

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

    /// Addresses one whitelist group takes (ModifySecurityIps: "up to 1,000 IP addresses").
    static let maxSecurityIpsPerGroup = 1000
    /// Whitelist groups the cloud keeps for its own services; the console says not to change them.
    static let systemSecurityIpGroups: Set<String> = ["ali_dms_group", "hdm_security_ips"]

    /// Whitelist group names: 2–32 characters of lowercase letters, digits and `_`, starting with a lowercase
    /// letter and ending with a letter or digit (the console's rule); never a system group.
    static func checkSecurityIpGroupName(_ value: String, path: String) -> String? {
        let scalars = Array(value.unicodeScalars)
        let lower: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) }
        let digit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        guard (2...32).contains(scalars.count), scalars.allSatisfy({ lower($0) || digit($0) || $0 == "_" }),
            let first = scalars.first, lower(first), let last = scalars.last, lower(last) || digit(last)
        else {
            return "\(path): a whitelist group name must be 2 to 32 lowercase letters, digits or \"_\", starting "
                + "with a letter and ending with a letter or digit, found \(quoted(value))"
        }
        if systemSecurityIpGroups.contains(value) || value.hasPrefix("ali_") {
            return "\(path): \(quoted(value)) is a whitelist group the cloud keeps for its own services; "
                + "choose another name"
        }
        return nil
    }

    /// One whitelist entry: an IPv4 address, or a CIDR block with a prefix of 1 to 32 (and `0.0.0.0/0`).
    static func checkSecurityIp(_ value: String, path: String) -> String? {
        guard let block = IPv4Block(value),
            value.contains("/") == false || block.prefixLength > 0 || value == "0.0.0.0/0"
        else {
            return "\(path) must be an IPv4 address (10.23.12.24) or CIDR block (10.23.12.0/24, prefix 1 to 32, or "
                + "0.0.0.0/0), found \(quoted(value))"
        }
        return nil
    }
}
