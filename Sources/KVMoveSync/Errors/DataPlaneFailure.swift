import KVMoveRESP

/// An error of the data plane that a program can act on: a stable code, a message, and whether to retry.
///
/// Every error the data plane throws conforms, except `CancellationError` (the caller cancelled):
/// `RESPError` (connecting, the connection, error replies), `RESPServerError` and `SyncError`. Providers
/// map them into their own structured errors with the source `redis`.
///
/// Codes: the Redis error prefix for error replies (`OOM`, `NOAUTH`, `WRONGPASS`, `NOPERM`, `READONLY`,
/// `LOADING`, `BUSY`, `ERR`, …); for failures of kvmove's own making `ConnectionRefused`, `Timeout`,
/// `HostNotFound`, `TLSConfiguration`, `TLSHandshakeFailed`, `ConnectionFailed`, `ConnectionClosed`,
/// `CommandTimeout` (a connected server did not answer in time), `ReplicationTimeout` (a silent stream),
/// `UnexpectedReply`, `RestoreFailed`, `BigKeyFailed`, `UnsupportedType`, `ReportNotWritten`.
package protocol DataPlaneFailure: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable code, such as `OOM` or `ConnectionRefused`.
    var code: String { get }
    /// What happened and, where kvmove knows, what to do; without the `(redis)` prefix, and for an error
    /// reply without its code.
    var message: String { get }
    /// Whether the same call may succeed if simply tried again later (transport failures, a server that is
    /// loading, busy or briefly read-only); false when something must be changed first.
    var isRetryable: Bool { get }
}

extension DataPlaneFailure {
    /// Server error codes that pass by themselves: a server loading its data, running a long script,
    /// failing over, or read-only for the seconds of a minor-version upgrade.
    package static var retryableServerCodes: Set<String> {
        ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY", "NOREPLICAS"]
    }
}
