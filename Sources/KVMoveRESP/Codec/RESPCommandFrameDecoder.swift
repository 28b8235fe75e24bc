import NIOCore

/// One command read from a command stream (a replication stream or a client's requests), with its size.
package struct RESPCommandFrame: Sendable, Equatable {
    /// The command's arguments, name first, as slices of the bytes read.
    package var arguments: [ByteBuffer]
    /// The bytes the frame took on the wire, header and CRLFs included: what a replication offset counts.
    package var byteCount: Int

    /// Creates a frame.
    package init(arguments: [ByteBuffer], byteCount: Int) {
        self.arguments = arguments
        self.byteCount = byteCount
    }

    /// The command name in upper case (ASCII), or "" for an empty frame.
    package var name: String {
        guard let first = arguments.first else { return "" }
        return String(decoding: first.readableBytesView.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// True when the command name equals `upper` ignoring ASCII case, without building a string.
    package func isCommand(_ upper: StaticString) -> Bool {
        guard let first = arguments.first, first.readableBytes == upper.utf8CodeUnitCount else { return false }
        return first.withUnsafeReadableBytes { raw in
            let expected = UnsafeRawBufferPointer(start: upper.utf8Start, count: upper.utf8CodeUnitCount)
            for index in 0..<raw.count {
                let byte = raw[index]
                let folded = byte >= 97 && byte <= 122 ? byte - 32 : byte
                if folded != expected[index] { return false }
            }
            return true
        }
    }
}

/// Decodes a stream of commands (`*<n>` arrays of bulk strings), counting every byte: a state machine.
///
/// ``next(from:)`` returns one complete frame, or nil when more bytes are needed; a command that arrives in
/// many pieces is scanned once, because the scan resumes where it stopped. Bare newlines between commands
/// (keep-alives) are consumed and reported as frames without arguments, so offsets count them as the server
/// does. Anything else (inline commands, other reply types) is a protocol violation.
package struct RESPCommandFrameDecoder: Sendable {
    /// The most arguments one command may have.
    static let maximumArguments = 1 << 24
    /// The longest argument accepted.
    static let maximumArgumentLength = 1 << 40

    private var expected = -1
    private var scanned = 0
    private var argumentOffsets: [(start: Int, length: Int)] = []

    /// Creates a decoder.
    package init() {}

    /// Reads the next complete frame from the front of `buffer`, or nil (consuming nothing) for more bytes.
    ///
    /// The buffer may be appended to between calls, but its front must not change.
    package mutating func next(from buffer: inout ByteBuffer) throws -> RESPCommandFrame? {
        let progress = try buffer.withUnsafeReadableBytes { raw -> Int? in try scan(raw) }
        guard let length = progress else { return nil }
        let arguments = argumentOffsets.map { offset in
            buffer.getSlice(at: buffer.readerIndex + offset.start, length: offset.length) ?? ByteBuffer()
        }
        buffer.moveReaderIndex(forwardBy: length)
        expected = -1
        scanned = 0
        argumentOffsets.removeAll(keepingCapacity: true)
        return RESPCommandFrame(arguments: arguments, byteCount: length)
    }

    /// Returns the length of the complete frame at the front, continuing the last scan, or nil.
    private mutating func scan(_ raw: UnsafeRawBufferPointer) throws -> Int? {
        if expected < 0 {
            guard !raw.isEmpty else { return nil }
            switch raw[0] {
            case UInt8(ascii: "\n"):
                return 1
            case UInt8(ascii: "\r"):
                guard raw.count >= 2 else { return nil }
                guard raw[1] == UInt8(ascii: "\n") else {
                    throw RESPError.protocolViolation("a command stream contains a bare CR")
                }
                return 2
            case UInt8(ascii: "*"):
                guard let (count, end) = try Self.header(raw, at: 0) else { return nil }
                guard count >= 0, count <= Self.maximumArguments else {
                    throw RESPError.protocolViolation("invalid argument count \(count) in a command stream")
                }
                expected = count
                scanned = end
            default:
                throw RESPError.protocolViolation(
                    "a command stream holds byte 0x\(String(raw[0], radix: 16)) where a command should start")
            }
        }
        while argumentOffsets.count < expected {
            guard scanned < raw.count else { return nil }
            guard raw[scanned] == UInt8(ascii: "$") else {
                throw RESPError.protocolViolation("a command argument is not a bulk string")
            }
            guard let (length, end) = try Self.header(raw, at: scanned) else { return nil }
            guard length >= 0, length <= Self.maximumArgumentLength else {
                throw RESPError.protocolViolation("invalid argument length \(length) in a command stream")
            }
            guard raw.count - end >= length + 2 else { return nil }
            guard raw[end + length] == UInt8(ascii: "\r"), raw[end + length + 1] == UInt8(ascii: "\n") else {
                throw RESPError.protocolViolation("a command argument of \(length) bytes does not end in CRLF")
            }
            argumentOffsets.append((end, length))
            scanned = end + length + 2
        }
        return scanned
    }

    /// Parses `<type><integer>\r\n` at `start`; returns the integer and the offset after the CRLF.
    private static func header(_ raw: UnsafeRawBufferPointer, at start: Int) throws -> (Int, Int)? {
        var index = start + 1
        var value = 0
        var digits = 0
        var negative = false
        if index < raw.count, raw[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "\r") {
                guard index + 1 < raw.count else { return nil }
                guard raw[index + 1] == UInt8(ascii: "\n"), digits > 0 else {
                    throw RESPError.protocolViolation("a malformed header in a command stream")
                }
                return (negative ? -value : value, index + 2)
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, digits < 18 else {
                throw RESPError.protocolViolation("a malformed header in a command stream")
            }
            value = value * 10 + Int(digit)
            digits += 1
            index += 1
        }
        return nil
    }
}
