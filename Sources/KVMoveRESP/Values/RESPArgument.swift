import NIOCore

/// One argument of a command, sent as a bulk string.
package struct RESPArgument: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    enum Storage: Sendable, Equatable {
        case string(String)
        case buffer(ByteBuffer)
        case bytes([UInt8])
        case integer(Int)
    }

    var storage: Storage

    /// An argument from text, sent as its UTF-8 bytes.
    package init(_ string: String) { storage = .string(string) }

    /// An argument from bytes; the buffer's readable bytes are sent without copying the slice first.
    package init(_ bytes: ByteBuffer) { storage = .buffer(bytes) }

    /// An argument from raw bytes.
    package init(_ bytes: [UInt8]) { storage = .bytes(bytes) }

    /// An argument from an integer, sent in decimal.
    package init(_ integer: Int) { storage = .integer(integer) }

    package init(stringLiteral value: String) { storage = .string(value) }

    package init(integerLiteral value: Int) { storage = .integer(value) }
}

extension RESPArgument {
    /// The bytes the argument is sent as.
    package var bytes: ByteBuffer {
        switch storage {
        case .string(let text): ByteBuffer(string: text)
        case .buffer(let buffer): buffer
        case .bytes(let bytes): ByteBuffer(bytes: bytes)
        case .integer(let value): ByteBuffer(string: String(value))
        }
    }
}
