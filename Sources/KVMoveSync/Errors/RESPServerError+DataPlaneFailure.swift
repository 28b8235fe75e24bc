import KVMoveRESP

/// An error reply: the code is the reply's first word, the message the rest of it.
extension RESPServerError: DataPlaneFailure {
    package var isRetryable: Bool { Self.retryableServerCodes.contains(code) }
}
