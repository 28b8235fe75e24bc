import KVMoveRESP
import NIOCore

/// Reads what a source sends a replica after its `PSYNC` reply: a state machine over bytes.
///
/// After `+FULLRESYNC` that is an RDB, as `$<length>\r\n<bytes>` or as `$EOF:<mark>\r\n<bytes><mark>`,
/// preceded by any number of keep-alive newlines, and then the command stream; after `+CONTINUE` it is
/// the command stream alone. ``next(from:)`` returns one event at a time and consumes exactly its bytes.
/// The RDB is split as it arrives (``RDBSplitter``); its end is found structurally, and the mark after it
/// is then checked, so a mark split across reads is never missed. In the command stream every byte counts
/// toward the replication offset, keep-alive newlines included, as the source counts them.
package struct ReplicationStreamParser: Sendable {
    /// One step of the stream.
    package enum Event: Sendable, Equatable {
        /// The RDB begins; its length when the source said it (disk-based sync), nil when it ends with a mark.
        case rdbStarted(length: Int?)
        /// One item of the RDB.
        case rdb(RDBEvent)
        /// The RDB ended (and its end mark, if any, matched); the command stream follows.
        case rdbFinished
        /// One command of the stream, or a keep-alive (no arguments); `byteCount` advances the offset.
        case command(RESPCommandFrame)
    }

    private enum State: Sendable {
        case awaitingRDB
        case rdb
        case mark
        case rdbDone
        case commands
    }

    private var state: State
    private var splitter = RDBSplitter()
    private var frames = RESPCommandFrameDecoder()
    private var mark: [UInt8]?
    private var rdbLength: Int?

    /// Bytes of the command stream consumed so far: the offset advanced since the stream began.
    package private(set) var streamBytes: Int64 = 0

    /// A parser for what follows `+FULLRESYNC` (`fullSync`) or `+CONTINUE`.
    package init(fullSync: Bool) {
        state = fullSync ? .awaitingRDB : .commands
    }

    /// RDB bytes read so far.
    package var rdbBytes: Int { splitter.bytesConsumed }
    /// Keys of the RDB read so far.
    package var rdbKeys: Int { splitter.keysRead }
    /// The RDB's length, when the source announced it.
    package var announcedRDBLength: Int? { rdbLength }
    /// True once the command stream is being read.
    package var isStreaming: Bool {
        if case .commands = state { return true }
        return false
    }
    /// Where the newest expiry read is in the RDB (offsets from the RDB's first byte).
    package var rdbLastExpiryField: RDBSplitter.ExpiryField? { splitter.lastExpiryField }
    /// True while the RDB itself is being read (after its header line, before its end).
    package var isReadingRDB: Bool {
        if case .rdb = state { return true }
        return false
    }
    /// The database the RDB's keys are read into now.
    package var rdbDatabase: Int { splitter.database }

    /// Returns the next event from the front of `buffer`, or nil when more bytes are needed.
    package mutating func next(from buffer: inout ByteBuffer) throws -> Event? {
        switch state {
        case .awaitingRDB:
            while buffer.readableBytes > 0, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 10 {
                buffer.moveReaderIndex(forwardBy: 1)
            }
            guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                guard buffer.readableBytes < 1024 else {
                    throw ReplicationError.protocolViolation("no RDB header after the full sync reply")
                }
                return nil
            }
            let length = newline - buffer.readerIndex + 1
            guard let bytes = buffer.readBytes(length: length) else { return nil }
            var lineBytes = bytes.dropLast()
            if lineBytes.last == UInt8(ascii: "\r") { lineBytes = lineBytes.dropLast() }
            let line = String(decoding: lineBytes, as: UTF8.self)
            guard line.hasPrefix("$") else {
                throw ReplicationError.protocolViolation("expected the RDB's header, got '\(line.prefix(80))'")
            }
            if line.hasPrefix("$EOF:") {
                let mark = Array(line.utf8.dropFirst(5))
                guard mark.count == 40 else {
                    throw ReplicationError.protocolViolation("the RDB's end mark is not 40 bytes long")
                }
                self.mark = mark
                state = .rdb
                return .rdbStarted(length: nil)
            }
            guard let length = Int(line.dropFirst()), length >= 0 else {
                throw ReplicationError.protocolViolation("invalid RDB length in '\(line.prefix(80))'")
            }
            rdbLength = length
            state = .rdb
            return .rdbStarted(length: length)
        case .rdb:
            guard let event = try splitter.next(from: &buffer) else { return nil }
            if let rdbLength, splitter.bytesConsumed > rdbLength {
                throw ReplicationError.protocolViolation(
                    "the RDB is longer than the \(rdbLength) bytes the source announced")
            }
            if splitter.isFinished {
                if let rdbLength, splitter.bytesConsumed != rdbLength {
                    throw ReplicationError.protocolViolation(
                        "the RDB ended after \(splitter.bytesConsumed) of the \(rdbLength) bytes announced")
                }
                state = mark == nil ? .rdbDone : .mark
            }
            return .rdb(event)
        case .mark:
            guard let mark, let bytes = buffer.getBytes(at: buffer.readerIndex, length: mark.count) else {
                return nil
            }
            guard bytes == mark else {
                throw ReplicationError.protocolViolation("the RDB is not followed by its end mark")
            }
            buffer.moveReaderIndex(forwardBy: mark.count)
            state = .commands
            return .rdbFinished
        case .rdbDone:
            state = .commands
            return .rdbFinished
        case .commands:
            guard let frame = try frames.next(from: &buffer) else { return nil }
            streamBytes += Int64(frame.byteCount)
            return .command(frame)
        }
    }
}
