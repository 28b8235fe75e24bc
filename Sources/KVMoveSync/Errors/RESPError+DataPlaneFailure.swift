import KVMoveRESP

extension RESPError: DataPlaneFailure {
    package var code: String {
        switch self {
        case .server(let error): error.code
        case .unreachable(_, let reason):
            switch reason {
            case .refused: "ConnectionRefused"
            case .timedOut: "Timeout"
            case .hostNotFound: "HostNotFound"
            case .tlsConfiguration: "TLSConfiguration"
            case .tlsHandshake: "TLSHandshakeFailed"
            case .closedDuringHandshake: "ConnectionClosed"
            case .other: "ConnectionFailed"
            }
        case .connection, .closed: "ConnectionClosed"
        case .protocolViolation: "UnexpectedReply"
        case .commandTimedOut: "CommandTimeout"
        case .streamIdle: "ReplicationTimeout"
        }
    }

    package var message: String {
        if case .server(let error) = self { return error.message }
        let text = description
        return text.hasPrefix("(redis) ") ? String(text.dropFirst(8)) : text
    }

    package var isRetryable: Bool {
        switch self {
        case .server(let error): error.isRetryable
        case .unreachable(_, let reason):
            switch reason {
            case .refused, .timedOut, .closedDuringHandshake, .other: true
            case .hostNotFound, .tlsConfiguration, .tlsHandshake: false
            }
        case .connection, .closed, .commandTimedOut, .streamIdle: true
        case .protocolViolation: false
        }
    }
}
