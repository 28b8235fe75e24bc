import NIOCore

/// Decodes RESP2 and RESP3 replies from a byte stream.
///
/// A resumable scan first finds where the next complete value ends, so a large reply that arrives in
/// many reads is walked once, not once per read. Only then is the value built, with bulk strings as
/// slices of the input. Attributes (`|`) are skipped and the value that follows them is returned.
/// Streamed strings and aggregates (`$?`, `*?`) are rejected as protocol violations.
package struct RESPReplyDecoder: ByteToMessageDecoder {
    package typealias InboundOut = RESPValue

    /// The deepest nesting accepted, so hostile input cannot exhaust the stack.
    static let maximumDepth = 512
    /// The largest element count or string length accepted.
    static let maximumLength = 1 << 40

    private var scanOffset = 0
    private var openAggregates: [Int] = []

    /// Creates a decoder.
    package init() {}

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    package mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// Reads the next complete value from `buffer`, or returns nil and consumes nothing when more bytes are needed.
    package mutating func next(from buffer: inout ByteBuffer) throws -> RESPValue? {
        guard let length = try scan(buffer) else { return nil }
        scanOffset = 0
        openAggregates.removeAll(keepingCapacity: true)
        let value = try buffer.withUnsafeReadableBytes { raw in
            var index = 0
            return try Self.parse(raw, buffer, at: &index)
        }
        buffer.moveReaderIndex(forwardBy: length)
        return value
    }

    // MARK: - Scanning

    /// Returns the byte length of the first complete value, continuing where the last call stopped.
    private mutating func scan(_ buffer: ByteBuffer) throws -> Int? {
        try buffer.withUnsafeReadableBytes { raw -> Int? in
            let readable = raw.count
            while true {
                guard scanOffset < readable, let lineEnd = try Self.lineEnd(raw, from: scanOffset + 1) else {
                    return nil
                }
                let type = raw[scanOffset]
                let headerEnd = lineEnd + 2
                var elementEnd = headerEnd
                switch type {
                case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"),
                    UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "("):
                    break
                case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
                    let length = try Self.length(raw, scanOffset + 1, lineEnd, type: type)
                    if length >= 0 {
                        elementEnd = headerEnd + length + 2
                        guard elementEnd <= readable else { return nil }
                        guard raw[elementEnd - 2] == UInt8(ascii: "\r"), raw[elementEnd - 1] == UInt8(ascii: "\n")
                        else {
                            throw RESPError.protocolViolation("a bulk string of \(length) bytes does not end in CRLF")
                        }
                    }
                case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"):
                    let count = try Self.length(raw, scanOffset + 1, lineEnd, type: type)
                    var elements = count
                    if type == UInt8(ascii: "%") || type == UInt8(ascii: "|") { elements *= 2 }
                    if type == UInt8(ascii: "|") { elements += 1 }  // the value the attribute annotates
                    if elements > 0 {
                        guard openAggregates.count < Self.maximumDepth else {
                            throw RESPError.protocolViolation("replies nested deeper than \(Self.maximumDepth) levels")
                        }
                        openAggregates.append(elements)
                        scanOffset = headerEnd
                        continue
                    }
                default:
                    throw RESPError.protocolViolation("unknown reply type byte 0x\(String(type, radix: 16))")
                }
                scanOffset = elementEnd
                while let last = openAggregates.last {
                    if last > 1 {
                        openAggregates[openAggregates.count - 1] = last - 1
                        break
                    }
                    openAggregates.removeLast()
                }
                if openAggregates.isEmpty { return scanOffset }
            }
        }
    }

    /// The index of the `\r` of the first CRLF at or after `start`, or nil when the line is not complete yet.
    @inline(__always)
    private static func lineEnd(_ raw: UnsafeRawBufferPointer, from start: Int) throws -> Int? {
        var index = start
        let count = raw.count
        while index < count {
            if raw[index] == UInt8(ascii: "\r") {
                guard index + 1 < count else { return nil }
                guard raw[index + 1] == UInt8(ascii: "\n") else {
                    throw RESPError.protocolViolation("a reply line contains a bare CR")
                }
                return index
            }
            index += 1
        }
        return nil
    }

    /// Parses the length or count of a header; -1 (null) is allowed only where RESP2 uses it.
    private static func length(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int, type: UInt8) throws -> Int {
        if end - start == 1 && raw[start] == UInt8(ascii: "?") {
            throw RESPError.protocolViolation(
                "streamed RESP3 replies ('\(Character(Unicode.Scalar(type)))?') are not supported")
        }
        let value = try integer(raw, start, end)
        if value == -1 && (type == UInt8(ascii: "$") || type == UInt8(ascii: "*")) { return -1 }
        guard value >= 0, value <= Int64(maximumLength) else {
            throw RESPError.protocolViolation(
                "invalid length \(value) for reply type '\(Character(Unicode.Scalar(type)))'")
        }
        return Int(value)
    }

    /// Parses a decimal integer in `raw[start..<end]`.
    @inline(__always)
    private static func integer(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws -> Int64 {
        var index = start
        var negative = false
        if index < end, raw[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        } else if index < end, raw[index] == UInt8(ascii: "+") {
            index += 1
        }
        guard index < end else { throw RESPError.protocolViolation("expected an integer, got an empty line") }
        var value: Int64 = 0
        while index < end {
            let digit = raw[index] &- UInt8(ascii: "0")
            guard digit < 10 else {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
                throw RESPError.protocolViolation("expected an integer, got '\(text.prefix(64))'")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(negative ? -Int64(digit) : Int64(digit))
            guard !overflow1, !overflow2 else { throw RESPError.protocolViolation("integer out of range") }
            value = sum
            index += 1
        }
        return value
    }

    // MARK: - Building

    /// Builds the value starting at `index` in a range already known to be complete.
    private static func parse(_ raw: UnsafeRawBufferPointer, _ buffer: ByteBuffer, at index: inout Int) throws
        -> RESPValue
    {
        let type = raw[index]
        guard let lineEnd = try lineEnd(raw, from: index + 1) else {
            throw RESPError.protocolViolation("incomplete reply")
        }
        let lineStart = index + 1
        index = lineEnd + 2
        func text() -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[lineStart..<lineEnd]), as: UTF8.self)
        }
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(text())
        case UInt8(ascii: "-"):
            return .error(RESPServerError(line: text()))
        case UInt8(ascii: ":"):
            return .integer(try integer(raw, lineStart, lineEnd))
        case UInt8(ascii: "_"):
            return .null
        case UInt8(ascii: ","):
            let line = text()
            guard let value = Double(line) else { throw RESPError.protocolViolation("invalid double '\(line)'") }
            return .double(value)
        case UInt8(ascii: "#"):
            switch text() {
            case "t": return .boolean(true)
            case "f": return .boolean(false)
            case let other: throw RESPError.protocolViolation("invalid boolean '\(other)'")
            }
        case UInt8(ascii: "("):
            return .bigNumber(text())
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let length = try self.length(raw, lineStart, lineEnd, type: type)
            if length < 0 { return .null }
            let start = index
            index += length + 2
            switch type {
            case UInt8(ascii: "$"):
                guard let slice = buffer.getSlice(at: buffer.readerIndex + start, length: length) else {
                    throw RESPError.protocolViolation("incomplete bulk string")
                }
                return .bulkString(slice)
            case UInt8(ascii: "!"):
                let line = String(
                    decoding: UnsafeRawBufferPointer(rebasing: raw[start..<start + length]), as: UTF8.self)
                return .error(RESPServerError(line: line))
            default:
                var content = UnsafeRawBufferPointer(rebasing: raw[start..<start + length])
                if content.count >= 4, content[3] == UInt8(ascii: ":") {
                    content = UnsafeRawBufferPointer(rebasing: content[4...])
                }
                return .verbatimString(String(decoding: content, as: UTF8.self))
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let count = try self.length(raw, lineStart, lineEnd, type: type)
            if count < 0 { return .null }
            var elements: [RESPValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                elements.append(try parse(raw, buffer, at: &index))
            }
            switch type {
            case UInt8(ascii: "*"): return .array(elements)
            case UInt8(ascii: "~"): return .set(elements)
            default: return .push(elements)
            }
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try self.length(raw, lineStart, lineEnd, type: type)
            var keys: [RESPValue] = []
            var values: [RESPValue] = []
            keys.reserveCapacity(count)
            values.reserveCapacity(count)
            for _ in 0..<count {
                keys.append(try parse(raw, buffer, at: &index))
                values.append(try parse(raw, buffer, at: &index))
            }
            if type == UInt8(ascii: "|") {
                return try parse(raw, buffer, at: &index)
            }
            return .map(keys, values)
        default:
            throw RESPError.protocolViolation("unknown reply type byte 0x\(String(type, radix: 16))")
        }
    }
}
