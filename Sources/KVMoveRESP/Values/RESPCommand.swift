import NIOCore

/// One command: its name and arguments, sent as an array of bulk strings.
package struct RESPCommand: Sendable {
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
    package func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        buffer.writeDecimal(arguments.count + 1)
        buffer.writeStaticString("\r\n")
        buffer.writeRESPArgument(RESPArgument(name))
        for argument in arguments {
            buffer.writeRESPArgument(argument)
        }
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

/// Encodes commands into a byte buffer, for `MessageToByteHandler` or direct use.
package struct RESPCommandEncoder: MessageToByteEncoder {
    package typealias OutboundIn = RESPCommand

    /// Creates an encoder.
    package init() {}

    package func encode(data: RESPCommand, out: inout ByteBuffer) {
        data.encode(into: &out)
    }
}
