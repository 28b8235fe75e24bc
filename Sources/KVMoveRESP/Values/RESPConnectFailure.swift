/// Why a connection to a server could not be set up; nothing was sent to the server yet.
///
/// Callers see it inside `RESPError.unreachable`, which names the address; it is an `Error` only so
/// that connection setup can carry it to that point.
package enum RESPConnectFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing listens on that port, or a firewall rejected the connection.
    case refused
    /// No answer within the connect timeout: usually a network that this machine cannot reach.
    case timedOut
    /// The host name does not resolve.
    case hostNotFound
    /// The TLS settings cannot be used (for example, the CA certificate file cannot be read).
    case tlsConfiguration(String)
    /// The TLS handshake failed (for example, the server's certificate is not trusted).
    case tlsHandshake(String)
    /// The server closed the connection before answering the first command.
    case closedDuringHandshake
    /// Any other reason, as the network stack put it.
    case other(String)

    /// What happened, in a few words.
    package var description: String {
        switch self {
        case .refused: "connection refused"
        case .timedOut: "no answer within \(RESPConnection.connectTimeoutSeconds)s"
        case .hostNotFound: "the host name does not resolve"
        case .tlsConfiguration(let detail): "the TLS settings cannot be used: \(detail)"
        case .tlsHandshake(let detail): "the TLS handshake failed: \(detail)"
        case .closedDuringHandshake: "the server closed the connection before answering"
        case .other(let detail): detail
        }
    }

    /// What to do about it.
    package var advice: String {
        switch self {
        case .refused, .timedOut, .other:
            "check the address and that this machine can reach it: run kvmove inside the VPC or use a public address"
        case .hostNotFound:
            "check the host name; a private endpoint resolves only inside its VPC: run kvmove there or use a "
                + "public address"
        case .tlsConfiguration:
            "check the CA certificate file (PEM) named in the TLS settings"
        case .tlsHandshake:
            "check that the server speaks TLS on this port, that the CA certificate is the one that signed the "
                + "server's certificate, and that the server name matches it"
        case .closedDuringHandshake:
            "if the server expects TLS on this port, turn TLS on; else check its logs (maxclients, protected mode)"
        }
    }
}
