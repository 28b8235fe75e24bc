/// Parses the text of an `INFO` reply: the one parser kvmove uses for it.
///
/// `INFO` answers lines of `name:value` under `# Section` headers, such as `total_connections_received:7`
/// or `db0:keys=3,expires=0,avg_ttl=0`; some values are themselves `key=value` lists.
package enum RedisInfo {
    /// The `name:value` lines of an `INFO` reply (headers and blank lines left out).
    package static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// The `key=value` parts of a value such as `keys=3,expires=0,avg_ttl=0`.
    package static func subfields(_ value: String) -> [String: String] {
        var parts: [String: String] = [:]
        for part in value.split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            parts[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        return parts
    }

    /// Keys per database from the `INFO keyspace` fields (`db0` → `keys=3,…`); databases without keys are absent.
    package static func keysPerDatabase(_ fields: [String: String]) -> [Int: Int] {
        var result: [Int: Int] = [:]
        for (name, value) in fields where name.hasPrefix("db") {
            guard let database = Int(name.dropFirst(2)) else { continue }
            result[database] = subfields(value)["keys"].flatMap { Int($0) } ?? 0
        }
        return result
    }
}
