import NIOCore

/// One reply from a Redis server, in RESP2 or RESP3.
///
/// Bulk strings keep the `ByteBuffer` slice they were read from, so payloads are not copied.
package enum RESPValue: Sendable, Equatable {
    /// A simple string such as `+OK`.
    case simpleString(String)
    /// An error reply (simple or blob error).
    case error(RESPServerError)
    /// An integer reply.
    case integer(Int64)
    /// A binary-safe bulk string.
    case bulkString(ByteBuffer)
    /// The RESP2 null bulk string or null array, or the RESP3 null.
    case null
    /// An array of replies.
    case array([RESPValue])
    /// A RESP3 double, including `inf`, `-inf` and `nan`.
    case double(Double)
    /// A RESP3 boolean.
    case boolean(Bool)
    /// A RESP3 big number, as its decimal text.
    case bigNumber(String)
    /// A RESP3 verbatim string, without its three-letter format prefix (`txt:`).
    case verbatimString(String)
    /// A RESP3 map as parallel arrays of keys and values.
    case map([RESPValue], [RESPValue])
    /// A RESP3 set.
    case set([RESPValue])
    /// A RESP3 out-of-band push message.
    case push([RESPValue])
}

extension RESPValue {
    /// The text of a simple, bulk or verbatim string, decoded as UTF-8 (lossily).
    package var string: String? {
        switch self {
        case .simpleString(let text), .verbatimString(let text): text
        case .bulkString(let buffer): String(buffer: buffer)
        default: nil
        }
    }

    /// The value of an integer reply, or of a string reply that holds a decimal integer.
    package var int: Int64? {
        switch self {
        case .integer(let value): value
        case .simpleString(let text): Int64(text)
        case .bulkString(let buffer): Int64(String(buffer: buffer))
        default: nil
        }
    }

    /// The elements of an array, set or push reply.
    package var array: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): values
        default: nil
        }
    }

    /// The bytes of a bulk string, or of a simple or verbatim string as UTF-8.
    package var bytes: ByteBuffer? {
        switch self {
        case .bulkString(let buffer): buffer
        case .simpleString(let text), .verbatimString(let text): ByteBuffer(string: text)
        default: nil
        }
    }

    /// Whether this is the null reply.
    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The server error this reply carries, if it is an error reply.
    package var serverError: RESPServerError? {
        if case .error(let error) = self { return error }
        return nil
    }

    /// Key/value pairs of a RESP3 map, or of a RESP2 flat array of alternating keys and values.
    package var pairs: [(key: RESPValue, value: RESPValue)]? {
        switch self {
        case .map(let keys, let values):
            return Array(zip(keys, values).map { (key: $0, value: $1) })
        case .array(let flat) where flat.count % 2 == 0:
            return stride(from: 0, to: flat.count, by: 2).map { (key: flat[$0], value: flat[$0 + 1]) }
        default:
            return nil
        }
    }
}
