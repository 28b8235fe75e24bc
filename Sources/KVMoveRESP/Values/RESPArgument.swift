import NIOCore

/// One argument of a command, sent as a bulk string.
package struct RESPArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    enum Storage: Sendable {
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

extension ByteBuffer {
    /// Writes `value` in decimal without going through `String`.
    mutating func writeDecimal(_ value: Int) {
        if value >= 0 && value < 10 {
            writeInteger(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 ASCII digits, filled from the end
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                count += 1
                raw[24 - count] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                count += 1
                raw[24 - count] = UInt8(ascii: "-")
            }
        }
        withUnsafeBytes(of: &digits) { raw in
            _ = writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }

    /// Writes `$<length>\r\n<bytes>\r\n`.
    mutating func writeRESPArgument(_ argument: RESPArgument) {
        switch argument.storage {
        case .string(let text):
            writeInteger(UInt8(ascii: "$"))
            writeDecimal(text.utf8.count)
            writeStaticString("\r\n")
            writeString(text)
        case .buffer(let buffer):
            writeInteger(UInt8(ascii: "$"))
            writeDecimal(buffer.readableBytes)
            writeStaticString("\r\n")
            writeImmutableBuffer(buffer)
        case .bytes(let bytes):
            writeInteger(UInt8(ascii: "$"))
            writeDecimal(bytes.count)
            writeStaticString("\r\n")
            writeBytes(bytes)
        case .integer(let value):
            var digits = ByteBuffer()
            digits.writeDecimal(value)
            writeInteger(UInt8(ascii: "$"))
            writeDecimal(digits.readableBytes)
            writeStaticString("\r\n")
            writeImmutableBuffer(digits)
        }
        writeStaticString("\r\n")
    }
}
