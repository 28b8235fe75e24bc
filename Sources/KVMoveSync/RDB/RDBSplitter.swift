import NIOCore

/// Splits an RDB stream into per-key records without decoding values: a pure state machine.
///
/// Feed it the bytes as they arrive: ``next(from:)`` reads from the front of the buffer and returns the next
/// complete item, or nil when it needs more bytes. It consumes exactly the bytes of the items it returns and
/// nothing after the file's end, so what follows the RDB in a replication stream stays in the buffer. Only
/// the item being read is held: a key's value is walked structurally (lengths, strings, listpacks as opaque
/// strings, stream metadata) to find where it ends, and the walk resumes where it stopped when more bytes
/// arrive, so a value that arrives in many pieces is walked once. The buffer may be compacted
/// (`discardReadBytes`) between calls.
///
/// The checksum at the end is compared with the CRC-64 of every byte before it; a key of a module type, or
/// module data, stops the split with an error naming the key or module.
package struct RDBSplitter: Sendable {
    private enum Stage: Sendable {
        case header
        case items
        case checksum
        case finished
    }

    /// One step of walking a value; `counted` reads a length and walks its body that many times.
    private indirect enum Step: Sendable {
        case string
        case length
        case bytes(Int)
        case asciiDouble
        case counted([Step])
    }

    /// Where the walk of a value is: a stack of step lists being repeated.
    private struct Frame: Sendable {
        var steps: [Step]
        var next = 0
        var remaining: UInt64
    }

    /// A key whose value is being walked; offsets are relative to the buffer's reader index.
    private struct KeyInProgress: Sendable {
        var type: UInt8
        var key: ByteBuffer
        var valueStart: Int
        var position: Int
        var frames: [Frame]
    }

    private var stage = Stage.header
    private var inProgress: KeyInProgress?
    private var crc = CRC64()
    private var pendingExpire: Int64?
    private var pendingIdle: Int?
    private var pendingFrequency: UInt8?

    /// The version from the header, once read.
    package private(set) var version = 0
    /// The database keys are read into now.
    package private(set) var database = 0
    /// Bytes consumed so far.
    package private(set) var bytesConsumed = 0
    /// Where the newest expiry read is in the file, so a relay can rewrite it in place.
    package private(set) var lastExpiryField: ExpiryField?

    /// The bytes of a key's expiry in the file: milliseconds (8 bytes) or, in old files, seconds (4 bytes),
    /// little-endian.
    package struct ExpiryField: Sendable, Equatable {
        /// The offset from the start of the file of the value's first byte (after the opcode).
        package var offset: Int
        /// 8 for milliseconds, 4 for seconds.
        package var width: Int
    }
    /// Keys returned so far.
    package private(set) var keysRead = 0

    /// The newest RDB version this splitter reads (Redis 7.4).
    package static let newestVersion = 12

    /// Creates a splitter at the start of a file.
    package init() {}

    /// True once the end of the file and its checksum were read.
    package var isFinished: Bool {
        if case .finished = stage { return true }
        return false
    }

    /// Returns the next complete item from the front of `buffer`, consuming its bytes, or nil when more bytes
    /// are needed (having consumed nothing more), or after the end of the file.
    package mutating func next(from buffer: inout ByteBuffer) throws -> RDBEvent? {
        switch stage {
        case .finished:
            return nil
        case .header:
            guard buffer.readableBytes >= 9, let bytes = buffer.getBytes(at: buffer.readerIndex, length: 9) else {
                return nil
            }
            guard bytes[0..<5].elementsEqual("REDIS".utf8),
                let version = Int(String(decoding: bytes[5..<9], as: UTF8.self))
            else {
                throw RDBError.corrupt("the stream does not start with an RDB header")
            }
            guard version >= 1, version <= Self.newestVersion else { throw RDBError.unsupportedVersion(version) }
            self.version = version
            consume(9, from: &buffer)
            stage = .items
            return .header(version: version)
        case .checksum:
            guard version >= 5 else {
                stage = .finished
                return .end(checksum: 0, verified: false)
            }
            guard let stored = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt64.self) else {
                return nil
            }
            let computed = crc.value
            buffer.moveReaderIndex(forwardBy: 8)
            bytesConsumed += 8
            stage = .finished
            if stored == 0 { return .end(checksum: 0, verified: false) }
            guard stored == computed else { throw RDBError.checksumMismatch(expected: stored, computed: computed) }
            return .end(checksum: stored, verified: true)
        case .items:
            while true {
                if inProgress != nil { return try continueKey(&buffer) }
                switch try parseItem(buffer) {
                case .needMore:
                    return nil
                case .event(let event, let length):
                    consume(length, from: &buffer)
                    if case .selectDatabase(let database) = event { self.database = database }
                    return event
                case .expire(let milliseconds, let length):
                    lastExpiryField = ExpiryField(offset: bytesConsumed + 1, width: length - 1)
                    consume(length, from: &buffer)
                    pendingExpire = milliseconds
                case .idle(let seconds, let length):
                    consume(length, from: &buffer)
                    pendingIdle = seconds
                case .frequency(let value, let length):
                    consume(length, from: &buffer)
                    pendingFrequency = value
                case .skipped(let length):
                    consume(length, from: &buffer)
                case .endOfFile:
                    consume(1, from: &buffer)
                    stage = .checksum
                    return try next(from: &buffer)
                case .key(let type, let key, let valueStart, let valueEnd):
                    if let valueEnd {
                        return finishKey(type: type, key: key, valueStart: valueStart, end: valueEnd, &buffer)
                    }
                    inProgress = KeyInProgress(
                        type: type, key: key, valueStart: valueStart, position: valueStart,
                        frames: [Frame(steps: Self.program(type), remaining: 1)])
                }
            }
        }
    }

    // MARK: - Items

    /// What the item at the front of the buffer is; lengths count from the buffer's reader index.
    private enum Parsed {
        case needMore
        case event(RDBEvent, length: Int)
        case expire(Int64, length: Int)
        case idle(Int, length: Int)
        case frequency(UInt8, length: Int)
        case skipped(length: Int)
        case endOfFile
        /// A key; `valueEnd` is known when the value was complete in the buffer and needs no walk.
        case key(type: UInt8, key: ByteBuffer, valueStart: Int, valueEnd: Int?)
    }

    /// Types whose value is one string (plain, or a ziplist, listpack or intset blob).
    private static func isSingleString(_ type: UInt8) -> Bool {
        switch type {
        case 0, 9, 10, 11, 12, 13, 16, 17, 20: true
        default: false
        }
    }

    private func parseItem(_ buffer: ByteBuffer) throws -> Parsed {
        let database = self.database
        return try buffer.withUnsafeReadableBytes { raw -> Parsed in
            var cursor = Cursor(raw: raw, position: 0)
            guard let opcode = cursor.byte() else { return .needMore }
            switch opcode {
            case 0xFF:
                return .endOfFile
            case 0xFE:
                guard let (value, _) = try cursor.length() else { return .needMore }
                return .event(.selectDatabase(Int(clamping: value)), length: cursor.position)
            case 0xFB:
                guard let (keys, _) = try cursor.length(), let (expires, _) = try cursor.length() else {
                    return .needMore
                }
                return .event(
                    .resizeDatabase(keys: Int(clamping: keys), expires: Int(clamping: expires)),
                    length: cursor.position)
            case 0xFA:
                guard let key = try cursor.string(), let value = try cursor.string() else { return .needMore }
                return .event(
                    .aux(key: String(decoding: key, as: UTF8.self), value: ByteBuffer(bytes: value)),
                    length: cursor.position)
            case 0xFC:
                guard let value = cursor.littleEndian(UInt64.self) else { return .needMore }
                return .expire(Int64(bitPattern: value), length: cursor.position)
            case 0xFD:
                guard let value = cursor.littleEndian(UInt32.self) else { return .needMore }
                return .expire(Int64(value) * 1000, length: cursor.position)
            case 0xF8:
                guard let (value, _) = try cursor.length() else { return .needMore }
                return .idle(Int(clamping: value), length: cursor.position)
            case 0xF9:
                guard let value = cursor.byte() else { return .needMore }
                return .frequency(value, length: cursor.position)
            case 0xF5:
                guard try cursor.skipString() else { return .needMore }
                let body = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<cursor.position]))
                return .event(.function(body), length: cursor.position)
            case 0xF4:
                guard try cursor.length() != nil, try cursor.length() != nil, try cursor.length() != nil else {
                    return .needMore
                }
                return .skipped(length: cursor.position)
            case 0xF7:
                guard let (id, _) = try cursor.length() else { return .needMore }
                throw RDBError.moduleAux(module: Self.moduleName(id))
            case 0xF6:
                throw RDBError.unsupportedOpcode(opcode)
            case 0...5, 7, 9...25:
                guard let key = try cursor.string() else { return .needMore }
                let keyBuffer = ByteBuffer(bytes: key)
                let valueStart = cursor.position
                switch opcode {
                case 7:
                    guard let (id, _) = try cursor.length() else { return .needMore }
                    throw RDBError.moduleValue(
                        database: database, key: KeyText.printable(keyBuffer), module: Self.moduleName(id))
                case 22...25:
                    throw RDBError.unsupportedType(database: database, key: KeyText.printable(keyBuffer), type: opcode)
                default:
                    break
                }
                if Self.isSingleString(opcode) {
                    let complete = try cursor.skipString()
                    return .key(
                        type: opcode, key: keyBuffer, valueStart: valueStart,
                        valueEnd: complete ? cursor.position : nil)
                }
                return .key(type: opcode, key: keyBuffer, valueStart: valueStart, valueEnd: nil)
            case 6:
                guard let key = try cursor.string() else { return .needMore }
                throw RDBError.moduleValue(
                    database: database, key: KeyText.printable(ByteBuffer(bytes: key)), module: "(module v1)")
            default:
                throw RDBError.corrupt("unknown RDB opcode or type \(opcode) after \(bytesConsumed) bytes")
            }
        }
    }

    /// Walks on through the value of the key in progress; returns it once complete.
    private mutating func continueKey(_ buffer: inout ByteBuffer) throws -> RDBEvent? {
        guard var progress = inProgress else { return nil }
        let done = try buffer.withUnsafeReadableBytes { raw -> Bool in
            var cursor = Cursor(raw: raw, position: progress.position)
            defer { progress.position = cursor.position }
            return try Self.walk(&progress.frames, &cursor)
        }
        guard done else {
            inProgress = progress
            return nil
        }
        inProgress = nil
        return finishKey(
            type: progress.type, key: progress.key, valueStart: progress.valueStart, end: progress.position, &buffer)
    }

    private mutating func finishKey(
        type: UInt8, key: ByteBuffer, valueStart: Int, end: Int, _ buffer: inout ByteBuffer
    ) -> RDBEvent {
        let value = buffer.getSlice(at: buffer.readerIndex + valueStart, length: end - valueStart) ?? ByteBuffer()
        let record = RDBKeyRecord(
            database: database, key: key, type: type, value: value, expireAtMilliseconds: pendingExpire,
            idleSeconds: pendingIdle, frequency: pendingFrequency)
        pendingExpire = nil
        pendingIdle = nil
        pendingFrequency = nil
        keysRead += 1
        consume(end, from: &buffer)
        return .key(record)
    }

    /// Runs the walk until the value is complete (true) or the bytes run out (false, resumable).
    private static func walk(_ frames: inout [Frame], _ cursor: inout Cursor) throws -> Bool {
        while var frame = frames.last {
            if frame.next == frame.steps.count {
                frame.remaining -= 1
                if frame.remaining == 0 {
                    frames.removeLast()
                    continue
                }
                frame.next = 0
            }
            let complete: Bool
            var body: (steps: [Step], count: UInt64)?
            switch frame.steps[frame.next] {
            case .string:
                complete = try cursor.skipString()
            case .length:
                complete = try cursor.length() != nil
            case .bytes(let count):
                complete = cursor.skip(count)
            case .asciiDouble:
                complete = cursor.skipAsciiDouble()
            case .counted(let steps):
                if let (count, encoded) = try cursor.length() {
                    guard !encoded else { throw RDBError.corrupt("an encoded length where a count belongs") }
                    complete = true
                    if count > 0 { body = (steps, count) }
                } else {
                    complete = false
                }
            }
            guard complete else {
                frames[frames.count - 1] = frame
                return false
            }
            frame.next += 1
            frames[frames.count - 1] = frame
            if let body { frames.append(Frame(steps: body.steps, remaining: body.count)) }
        }
        return true
    }

    /// How to walk a value of `type` (``isSingleString(_:)`` types are walked as one string).
    private static func program(_ type: UInt8) -> [Step] {
        let pendingEntry: [Step] = [.bytes(16), .bytes(8), .length]
        func consumer(_ activeTime: Bool) -> [Step] {
            [.string, .bytes(8)] + (activeTime ? [.bytes(8)] : []) + [.counted([.bytes(16)])]
        }
        func stream(version: Int) -> [Step] {
            var steps: [Step] = [.counted([.string, .string]), .length, .length, .length]
            if version >= 2 { steps += [.length, .length, .length, .length, .length] }
            var group: [Step] = [.string, .length, .length]
            if version >= 2 { group.append(.length) }
            group += [.counted(pendingEntry), .counted(consumer(version >= 3))]
            steps.append(.counted(group))
            return steps
        }
        switch type {
        case 1, 2, 14: return [.counted([.string])]
        case 3: return [.counted([.string, .asciiDouble])]
        case 4: return [.counted([.string, .string])]
        case 5: return [.counted([.string, .bytes(8)])]
        case 15: return stream(version: 1)
        case 18: return [.counted([.length, .string])]
        case 19: return stream(version: 2)
        case 21: return stream(version: 3)
        default: return [.string]
        }
    }

    private mutating func consume(_ count: Int, from buffer: inout ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in crc.update(UnsafeRawBufferPointer(rebasing: raw[0..<count])) }
        buffer.moveReaderIndex(forwardBy: count)
        bytesConsumed += count
    }

    /// The nine-character name a module type id encodes (its low 10 bits are the encoding version).
    static func moduleName(_ id: UInt64) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let name = id >> 10
        return String((0..<9).map { alphabet[Int((name >> (6 * UInt64(8 - $0))) & 63)] })
    }
}

/// Reads RDB primitives from raw bytes; each read either completes or leaves the position where it was.
private struct Cursor {
    let raw: UnsafeRawBufferPointer
    var position: Int

    mutating func byte() -> UInt8? {
        guard position < raw.count else { return nil }
        defer { position += 1 }
        return raw[position]
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, raw.count - position >= count else { return false }
        position += count
        return true
    }

    mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard raw.count - position >= size else { return nil }
        defer { position += size }
        return T(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    private mutating func bigEndian<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard raw.count - position >= size else { return nil }
        defer { position += size }
        return T(bigEndian: raw.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// A length, or an encoding marker (`encoded`: the low six bits name a string encoding).
    mutating func length() throws -> (UInt64, encoded: Bool)? {
        let start = position
        guard let first = byte() else { return nil }
        switch first >> 6 {
        case 0:
            return (UInt64(first & 0x3f), false)
        case 1:
            guard let second = byte() else {
                position = start
                return nil
            }
            return (UInt64(first & 0x3f) << 8 | UInt64(second), false)
        case 2:
            if first == 0x80 {
                guard let value = bigEndian(UInt32.self) else {
                    position = start
                    return nil
                }
                return (UInt64(value), false)
            }
            if first == 0x81 {
                guard let value = bigEndian(UInt64.self) else {
                    position = start
                    return nil
                }
                return (value, false)
            }
            throw RDBError.corrupt("unknown length prefix 0x\(String(first, radix: 16))")
        default:
            return (UInt64(first & 0x3f), true)
        }
    }

    /// Skips a string in any encoding; false (position unchanged) when it is not complete yet.
    mutating func skipString() throws -> Bool {
        let start = position
        guard let (value, encoded) = try length() else { return false }
        let complete: Bool
        if encoded {
            switch value {
            case 0: complete = skip(1)
            case 1: complete = skip(2)
            case 2: complete = skip(4)
            case 3:
                if let (compressed, _) = try length(), try length() != nil {
                    complete = skip(Int(clamping: compressed))
                } else {
                    complete = false
                }
            default: throw RDBError.corrupt("unknown string encoding \(value)")
            }
        } else {
            complete = skip(Int(clamping: value))
        }
        if !complete { position = start }
        return complete
    }

    /// Reads a string and decodes it (integers as decimal text, LZF decompressed); nil when not complete.
    mutating func string() throws -> [UInt8]? {
        let start = position
        guard let (value, encoded) = try length() else { return nil }
        if !encoded {
            let count = Int(clamping: value)
            guard skip(count) else {
                position = start
                return nil
            }
            return Array(UnsafeRawBufferPointer(rebasing: raw[(position - count)..<position]))
        }
        let decoded: [UInt8]?
        switch value {
        case 0: decoded = byte().map { Array(String(Int8(bitPattern: $0)).utf8) }
        case 1: decoded = littleEndian(Int16.self).map { Array(String($0).utf8) }
        case 2: decoded = littleEndian(Int32.self).map { Array(String($0).utf8) }
        case 3:
            if let (compressed, _) = try length(), let (plain, _) = try length(), skip(Int(clamping: compressed)) {
                let count = Int(clamping: compressed)
                decoded = try LZF.decompress(
                    UnsafeRawBufferPointer(rebasing: raw[(position - count)..<position]),
                    expectedLength: Int(clamping: plain))
            } else {
                decoded = nil
            }
        default: throw RDBError.corrupt("unknown string encoding \(value)")
        }
        if decoded == nil { position = start }
        return decoded
    }

    /// Skips an old-style (type 3) score: a length byte and that many ASCII bytes, or 253–255 alone.
    mutating func skipAsciiDouble() -> Bool {
        let start = position
        guard let count = byte() else { return false }
        if count >= 253 { return true }
        guard skip(Int(count)) else {
            position = start
            return false
        }
        return true
    }
}
