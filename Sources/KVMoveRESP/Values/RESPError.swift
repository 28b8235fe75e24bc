/// A failure talking to a Redis server; every description starts with `(redis) `.
package enum RESPError: Error, Sendable, CustomStringConvertible {
    /// The server answered a command with an error reply.
    case server(RESPServerError)
    /// Connecting to `address` (`host:port`) failed before any command was answered.
    case unreachable(address: String, reason: RESPConnectFailure)
    /// The connection broke after it was set up.
    case connection(String)
    /// The server sent bytes that are not valid RESP, or a reply this client does not support.
    case protocolViolation(String)
    /// The connection was closed before the reply arrived.
    case closed

    package var description: String {
        switch self {
        case .server(let error): error.description
        case .unreachable(let address, let reason): "(redis) cannot connect to \(address): \(reason); \(reason.advice)"
        case .connection(let text): "(redis) \(text)"
        case .protocolViolation(let text): "(redis) protocol violation: \(text)"
        case .closed: "(redis) the connection was closed before the reply arrived"
        }
    }
}
