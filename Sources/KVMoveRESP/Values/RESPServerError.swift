/// An error reply from the server, split into its code and message.
///
/// `-WRONGTYPE Operation against a key holding the wrong kind of value` has the code `WRONGTYPE`.
package struct RESPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first word of the reply, such as `ERR`, `WRONGTYPE` or `NOAUTH`.
    package var code: String
    /// The rest of the reply after the code.
    package var message: String

    /// Creates an error from its parts.
    package init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// Splits an error line at its first space into code and message.
    package init(line: String) {
        if let space = line.firstIndex(of: " ") {
            self.code = String(line[..<space])
            self.message = String(line[line.index(after: space)...])
        } else {
            self.code = line
            self.message = ""
        }
    }

    package var description: String {
        message.isEmpty ? "(redis) \(code)" : "(redis) \(code) \(message)"
    }
}
