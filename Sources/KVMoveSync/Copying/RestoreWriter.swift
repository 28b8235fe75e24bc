import KVMoveRESP
import NIOCore

/// Writes keys to a target as `RESTORE key <expire-at> <payload> REPLACE ABSTTL`, one pipeline per batch.
///
/// The one RESTORE writer of kvmove: the scan copier uses it for what it dumped, and the live channel's full
/// sync for the keys of the source's snapshot. Each key's reply is handed back in order, so the caller decides
/// what an error means (the scan copier copies a payload the target cannot read in parts; the channel stops).
/// `REPLACE` makes a batch idempotent, so writing it again after a failure converges.
package struct RestoreWriter: Sendable {
    /// One key to restore.
    package struct Key: Sendable {
        /// The key.
        package var key: ByteBuffer
        /// When the key expires, in Unix milliseconds; nil for a key without expiry.
        package var expireAtMilliseconds: Int64?
        /// The DUMP payload: type, value, RDB version and CRC-64.
        package var payload: ByteBuffer
        /// The LRU idle time to set (`IDLETIME`), when known.
        package var idleSeconds: Int?
        /// The LFU counter to set (`FREQ`), when known.
        package var frequency: UInt8?

        /// Creates a key to restore.
        package init(
            key: ByteBuffer, expireAtMilliseconds: Int64?, payload: ByteBuffer, idleSeconds: Int? = nil,
            frequency: UInt8? = nil
        ) {
            self.key = key
            self.expireAtMilliseconds = expireAtMilliseconds
            self.payload = payload
            self.idleSeconds = idleSeconds
            self.frequency = frequency
        }

        /// The `RESTORE` command that writes this key.
        package var command: RESPCommand {
            var arguments: [RESPArgument] = [
                RESPArgument(key), RESPArgument(Int(expireAtMilliseconds ?? 0)), RESPArgument(payload), "REPLACE",
                "ABSTTL",
            ]
            if let idleSeconds { arguments += ["IDLETIME", RESPArgument(idleSeconds)] }
            if let frequency { arguments += ["FREQ", RESPArgument(Int(frequency))] }
            return RESPCommand("RESTORE", arguments: arguments)
        }
    }

    /// The target connection, with the keys' database selected.
    package var connection: RESPConnection

    /// Creates a writer on a target connection.
    package init(connection: RESPConnection) {
        self.connection = connection
    }

    /// Restores the keys in one pipeline; returns each key's error reply (nil when restored), in order.
    ///
    /// `before` goes ahead of the keys in the same pipeline (a `SELECT`, say); an error reply to it is thrown.
    package func restore(_ keys: [Key], after before: [RESPCommand] = []) async throws -> [RESPServerError?] {
        guard !keys.isEmpty || !before.isEmpty else { return [] }
        var commands = before
        commands.reserveCapacity(before.count + keys.count)
        for key in keys { commands.append(key.command) }
        let replies = try await connection.pipeline(commands)
        for reply in replies.prefix(before.count) {
            if let error = reply.serverError { throw RESPError.server(error) }
        }
        return replies.dropFirst(before.count).map(\.serverError)
    }
}
