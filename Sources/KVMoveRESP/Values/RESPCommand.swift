import NIOCore

/// One command: its name and arguments, sent as an array of bulk strings.
package struct RESPCommand: Sendable, Equatable {
    /// The command name, such as `GET` or `CLIENT`.
    package var name: String
    /// The arguments after the name.
    package var arguments: [RESPArgument]

    /// A command from its name and a variadic list of arguments.
    package init(_ name: String, _ arguments: RESPArgument...) {
        self.name = name
        self.arguments = arguments
    }

    /// A command from its name and an array of arguments.
    package init(_ name: String, arguments: [RESPArgument]) {
        self.name = name
        self.arguments = arguments
    }

    /// Appends the command's wire form to `buffer`.
    ///
    /// The size is computed first and the bytes are written in one pass through a raw pointer: many small
    /// `ByteBuffer` writes were the copier's biggest client-side cost.
    package func encode(into buffer: inout ByteBuffer) {
        var size = 3 + Self.decimalCount(arguments.count + 1) + Self.bulkSize(name.utf8.count)
        for argument in arguments {
            switch argument.storage {
            case .string(let text): size += Self.bulkSize(text.utf8.count)
            case .buffer(let bytes): size += Self.bulkSize(bytes.readableBytes)
            case .bytes(let bytes): size += Self.bulkSize(bytes.count)
            case .integer(let value): size += Self.bulkSize(Self.decimalCount(value))
            }
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            var writer = RawWriter(base: raw)
            writer.byte(UInt8(ascii: "*"))
            writer.decimal(arguments.count + 1)
            writer.crlf()
            writer.bulk(text: name)
            for argument in arguments {
                switch argument.storage {
                case .string(let text): writer.bulk(text: text)
                case .buffer(let bytes):
                    writer.bulkHeader(bytes.readableBytes)
                    bytes.withUnsafeReadableBytes { writer.copy($0) }
                    writer.crlf()
                case .bytes(let bytes):
                    writer.bulkHeader(bytes.count)
                    bytes.withUnsafeBytes { writer.copy($0) }
                    writer.crlf()
                case .integer(let value):
                    writer.bulkHeader(Self.decimalCount(value))
                    writer.decimal(value)
                    writer.crlf()
                }
            }
            return writer.offset
        }
    }

    /// Bytes of `$<count>\r\n<count bytes>\r\n`.
    private static func bulkSize(_ count: Int) -> Int { 5 + decimalCount(count) + count }

    /// Digits (and sign) of `value` in decimal.
    static func decimalCount(_ value: Int) -> Int {
        var magnitude = value.magnitude
        var count = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    /// The approximate number of bytes the command takes on the wire, for sizing buffers.
    package var estimatedSize: Int {
        var total = 16 + name.utf8.count
        for argument in arguments {
            switch argument.storage {
            case .string(let text): total += 16 + text.utf8.count
            case .buffer(let buffer): total += 16 + buffer.readableBytes
            case .bytes(let bytes): total += 16 + bytes.count
            case .integer: total += 26
            }
        }
        return total
    }
}

/// Writes RESP pieces into raw memory that is known to be big enough.
private struct RawWriter {
    let base: UnsafeMutableRawBufferPointer
    var offset = 0

    init(base: UnsafeMutableRawBufferPointer) { self.base = base }

    mutating func byte(_ value: UInt8) {
        base[offset] = value
        offset += 1
    }

    mutating func crlf() {
        base[offset] = UInt8(ascii: "\r")
        base[offset + 1] = UInt8(ascii: "\n")
        offset += 2
    }

    mutating func decimal(_ value: Int) {
        let count = RESPCommand.decimalCount(value)
        var magnitude = value.magnitude
        var index = offset + count - 1
        repeat {
            base[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        if value < 0 { base[offset] = UInt8(ascii: "-") }
        offset += count
    }

    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0, let target = base.baseAddress else { return }
        (target + offset).copyMemory(from: source, byteCount: bytes.count)
        offset += bytes.count
    }

    mutating func bulkHeader(_ count: Int) {
        byte(UInt8(ascii: "$"))
        decimal(count)
        crlf()
    }

    mutating func bulk(text: String) {
        bulkHeader(text.utf8.count)
        if text.utf8.withContiguousStorageIfAvailable({ copy(UnsafeRawBufferPointer($0)) }) == nil {
            for unit in text.utf8 { byte(unit) }
        }
        crlf()
    }
}
