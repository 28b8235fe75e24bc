import KVMoveRESP

/// A failure of the copier, the verifier, a gate or report writing that is not a plain connection error.
package enum SyncError: DataPlaneFailure {
    /// The server answered with a reply of an unexpected shape.
    case unexpectedReply(command: String, reply: String)
    /// The target refused to restore a key.
    case restoreFailed(database: Int, key: String, error: RESPServerError)
    /// A key has a type the chunked copy does not know (a module type).
    case unsupportedType(database: Int, key: String, type: String)
    /// A command of the chunked copy of a big key failed.
    case bigKeyFailed(database: Int, key: String, error: RESPServerError)
    /// A report file could not be written.
    case reportNotWritten(path: String, reason: String)

    package var description: String {
        switch self {
        case .unexpectedReply(let command, let reply):
            "(redis) unexpected reply to \(command): \(reply)"
        case .restoreFailed(let database, let key, let error):
            "cannot restore key \(key) in db \(database) on the target: \(error); fix the cause on the target "
                + "(memory, ACL, maxmemory policy) and copy again: the copy is idempotent"
        case .unsupportedType(let database, let key, let type):
            "cannot copy key \(key) in db \(database): values of type '\(type)' are too big for RESTORE "
                + "and cannot be copied in parts; raise proto-max-bulk-len on the target"
        case .bigKeyFailed(let database, let key, let error):
            "cannot copy big key \(key) in db \(database) in parts: \(error); fix the cause on the target and "
                + "copy again: the copy is idempotent"
        case .reportNotWritten(let path, let reason):
            "cannot write the report \(path): \(reason); check that the directory is writable"
        }
    }

    package var code: String {
        switch self {
        case .unexpectedReply: "UnexpectedReply"
        case .restoreFailed: "RestoreFailed"
        case .unsupportedType: "UnsupportedType"
        case .bigKeyFailed: "BigKeyFailed"
        case .reportNotWritten: "ReportNotWritten"
        }
    }

    package var message: String {
        let text = description
        return text.hasPrefix("(redis) ") ? String(text.dropFirst(8)) : text
    }

    /// True when the server's error behind a failed write passes by itself (`LOADING`, `BUSY`, …).
    package var isRetryable: Bool {
        switch self {
        case .restoreFailed(_, _, let error), .bigKeyFailed(_, _, let error): error.isRetryable
        case .unexpectedReply, .unsupportedType, .reportNotWritten: false
        }
    }
}
