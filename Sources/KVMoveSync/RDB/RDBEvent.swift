import NIOCore

/// One item of an RDB file, in the order the file holds them.
package enum RDBEvent: Sendable, Equatable {
    /// The file's header: `REDIS` and its version.
    case header(version: Int)
    /// An auxiliary field such as `redis-ver`, `repl-stream-db`, `repl-offset` or `lua`, with its value decoded.
    case aux(key: String, value: ByteBuffer)
    /// The keys that follow belong to this database.
    case selectDatabase(Int)
    /// The size hints of the current database.
    case resizeDatabase(keys: Int, expires: Int)
    /// One key and its value.
    case key(RDBKeyRecord)
    /// A function library, as `FUNCTION DUMP` writes it before its footer (opcode and code).
    case function(ByteBuffer)
    /// The end of the file, with the checksum it carried; `verified` is false when the file has none (0).
    case end(checksum: UInt64, verified: Bool)
}

/// One key of an RDB file, with its value as raw bytes: what `DUMP` returns, less the type byte and footer.
package struct RDBKeyRecord: Sendable, Equatable {
    /// The database the key is in.
    package var database: Int
    /// The key, decoded (integer-encoded and compressed keys are written out).
    package var key: ByteBuffer
    /// The RDB type byte (0 string, 18 quicklist, 19 stream, …).
    package var type: UInt8
    /// The value's bytes exactly as the RDB holds them, which are the bytes `DUMP` writes after the type byte.
    package var value: ByteBuffer
    /// When the key expires, in Unix milliseconds; nil for a key without expiry.
    package var expireAtMilliseconds: Int64?
    /// The LRU idle time in seconds, when the source has an LRU maxmemory policy.
    package var idleSeconds: Int?
    /// The LFU counter, when the source has an LFU maxmemory policy.
    package var frequency: UInt8?

    /// Creates a record.
    package init(
        database: Int, key: ByteBuffer, type: UInt8, value: ByteBuffer, expireAtMilliseconds: Int64? = nil,
        idleSeconds: Int? = nil, frequency: UInt8? = nil
    ) {
        self.database = database
        self.key = key
        self.type = type
        self.value = value
        self.expireAtMilliseconds = expireAtMilliseconds
        self.idleSeconds = idleSeconds
        self.frequency = frequency
    }
}
