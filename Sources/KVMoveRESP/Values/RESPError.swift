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
    /// The server at `address` did not answer `command` (its name only) within `after`: the connection was closed.
    ///
    /// Its reply could still arrive and would be taken for the next command's, so the connection cannot be used
    /// again; every other call waiting on it fails with this error too.
    case commandTimedOut(address: String, command: String, after: Duration)
    /// The server at `address` sent nothing on the replication stream for `after`: the link was dropped.
    case streamIdle(address: String, after: Duration)

    package var description: String {
        switch self {
        case .server(let error): error.description
        case .unreachable(let address, let reason): "(redis) cannot connect to \(address): \(reason); \(reason.advice)"
        case .connection(let text): "(redis) \(text)"
        case .protocolViolation(let text): "(redis) protocol violation: \(text)"
        case .closed: "(redis) the connection was closed before the reply arrived"
        case .commandTimedOut(let address, let command, let after):
            "(redis) \(address) did not answer \(command) within \(Self.text(after)), so the connection was closed "
                + "(a late reply would be taken for another command's); check that the server is up and not stalled "
                + "(a paused process, a long script or command in SLOWLOG, a full disk) and that the network to it "
                + "works; if its commands are this slow by nature, raise spec.connection.commandTimeout"
        case .streamIdle(let address, let after):
            "(redis) \(address) sent nothing on the replication stream for \(Self.text(after)) (a primary pings its "
                + "replicas every 10s by default), so the link was dropped; the channel reconnects and continues "
                + "with PSYNC. Check that the source is up and not stalled; if its repl-ping-replica-period is long, "
                + "raise spec.connection.replicationTimeout above it"
        }
    }

    /// A duration the way the spec writes one: `30s`, `1500ms`, `2m`.
    static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
