/// One line of `CLIENT LIST`: a connection to the server.
package struct ClientListEntry: Sendable, Hashable {
    /// The connection's id; ids grow with every connection the server accepts.
    package var id: Int
    /// `ip:port` of the peer.
    package var address: String
    /// The name set with `CLIENT SETNAME`; empty when none.
    package var name: String
    /// The last command the connection ran, such as `set` or `client|list`; `NULL` before its first.
    package var command: String
    /// Seconds since the connection was accepted.
    package var ageSeconds: Int
    /// The connection's flags, such as `N` (normal), `S` (a replica's link), `M` (this server's master).
    package var flags: String

    /// Creates an entry.
    package init(
        id: Int, address: String, name: String, command: String, ageSeconds: Int = 0, flags: String = "N"
    ) {
        self.id = id
        self.address = address
        self.name = name
        self.command = command
        self.ageSeconds = ageSeconds
        self.flags = flags
    }

    /// True for a replication link, which is never an application's connection.
    ///
    /// That is a replica reading this server's stream (flag `S`), or this server's own link to its
    /// master (flag `M`).
    package var isReplicationLink: Bool { flags.contains("S") || flags.contains("M") }

    /// True for a connection accepted less than a second ago that has not run a command yet: it may
    /// still be about to name itself.
    package var isSettling: Bool { name.isEmpty && command == "NULL" && ageSeconds == 0 }

    /// `addr name=… cmd=…`, the way the idle gate lists a client.
    package var summary: String { "\(address) name=\(name) cmd=\(command)" }

    /// Parses a `CLIENT LIST` reply: one connection per line of space-separated `key=value` fields.
    ///
    /// Lines without a numeric `id` are left out. Client names cannot contain spaces, so splitting at
    /// spaces is exact.
    package static func parse(_ text: String) -> [ClientListEntry] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            var fields: [Substring: Substring] = [:]
            for field in line.split(separator: " ") {
                guard let equals = field.firstIndex(of: "=") else { continue }
                fields[field[..<equals]] = field[field.index(after: equals)...]
            }
            guard let id = fields["id"].flatMap({ Int($0) }) else { return nil }
            return ClientListEntry(
                id: id, address: String(fields["addr"] ?? "?"), name: String(fields["name"] ?? ""),
                command: String(fields["cmd"] ?? ""), ageSeconds: fields["age"].flatMap { Int($0) } ?? 0,
                flags: String(fields["flags"] ?? "N"))
        }
    }
}
