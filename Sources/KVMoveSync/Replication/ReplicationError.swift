/// Why the replica side of the channel cannot go on.
package enum ReplicationError: DataPlaneFailure, Equatable {
    /// The source refused a handshake command (`PSYNC` not allowed, wrong password, loading, …).
    case refused(command: String, reply: String)
    /// The source answered in a way the replica protocol does not allow.
    case unexpectedReply(command: String, reply: String)
    /// The RDB transfer or the command stream broke the protocol.
    case protocolViolation(String)
    /// The target could not take a relayed snapshot; the channel's later full syncs use `RESTORE`.
    case relayFailed(String)

    package var description: String {
        switch self {
        case .refused(let command, let reply):
            "(redis) the source refused \(command) from the sync channel: \(reply)"
        case .unexpectedReply(let command, let reply):
            "(redis) unexpected reply to \(command) from the source: \(reply.prefix(200))"
        case .protocolViolation(let detail):
            "(redis) the source's replication stream broke the protocol: \(detail)"
        case .relayFailed(let detail):
            "(redis) the target could not take the relayed snapshot: \(detail); the channel's full syncs use "
                + "RESTORE from now on"
        }
    }

    package var code: String {
        switch self {
        case .refused(_, let reply):
            reply.split(separator: " ").first.map(String.init) ?? "ERR"
        case .unexpectedReply: "UnexpectedReply"
        case .protocolViolation: "ProtocolViolation"
        case .relayFailed: "RelayFailed"
        }
    }

    package var message: String {
        let text = description
        return text.hasPrefix("(redis) ") ? String(text.dropFirst(8)) : text
    }

    package var isRetryable: Bool {
        switch self {
        case .refused(_, let reply):
            let code = reply.split(separator: " ").first.map(String.init) ?? ""
            return ["LOADING", "NOMASTERLINK", "BUSY", "TRYAGAIN", "MASTERDOWN"].contains(code)
        case .unexpectedReply, .protocolViolation, .relayFailed: return true
        }
    }
}
