import Foundation
import KVMoveSync
import NIOCore
import Testing

/// The relay's two engines on bytes a real redis-server produced: the primary's side of the handshake, and
/// the RDB rewriter.
@Suite("Snapshot relay engines")
struct RelayTests {
    struct HandshakeMeta: Decodable {
        var secret: String
        var ackedOffset: Int64
    }

    /// Feeds `bytes` in `pieces` and records every action, as the relay would carry them out.
    static func handshake(_ bytes: [UInt8], pieces: [Range<Int>], secret: String) throws -> [RelayHandshake.Action] {
        var machine = RelayHandshake(secret: secret)
        var buffer = ByteBuffer()
        var actions: [RelayHandshake.Action] = []
        for piece in pieces {
            buffer.writeBytes(bytes[piece])
            while true {
                let action = try machine.receive(&buffer)
                if action == .wait { break }
                actions.append(action)
            }
        }
        return actions
    }

    static let expected: [RelayHandshake.Action] = [
        .reply("+PONG\r\n"), .reply("+OK\r\n"), .reply("+OK\r\n"), .reply("+OK\r\n"), .fullSync(endMark: true),
        .acknowledged(4242),
    ]

    @Test("a real replica's handshake, split at every byte: PONG, OK ×3, full sync with an end mark, its ACK")
    func everySplit() throws {
        let bytes = try ReplicationFixtures.bytes("relay-handshake")
        let meta = try JSONDecoder().decode(
            HandshakeMeta.self,
            from: Data(
                contentsOf: #require(Bundle.module.url(forResource: "Fixtures/relay-handshake", withExtension: "json")))
        )
        #expect(meta.ackedOffset == 4242)
        #expect(try Self.handshake(bytes, pieces: [0..<bytes.count], secret: meta.secret) == Self.expected)
        for split in 1..<bytes.count {
            let actions = try Self.handshake(bytes, pieces: [0..<split, split..<bytes.count], secret: meta.secret)
            #expect(actions == Self.expected, "split at \(split)")
        }
        let byteByByte = try Self.handshake(bytes, pieces: (0..<bytes.count).map { $0..<($0 + 1) }, secret: meta.secret)
        #expect(byteByByte == Self.expected)
    }

    @Test("a peer without the one-time secret is refused before it can ask for the snapshot")
    func wrongSecret() throws {
        let bytes = try ReplicationFixtures.bytes("relay-handshake")
        let actions = try Self.handshake(bytes, pieces: [0..<bytes.count], secret: "another secret")
        #expect(actions.count == 2)
        #expect(actions.first == .reply("+PONG\r\n"))
        guard case .refuse(let text) = actions.last else {
            Issue.record("not refused: \(actions)")
            return
        }
        #expect(text.hasPrefix("-WRONGPASS"))
        // Asking for the snapshot without authenticating is refused too.
        var machine = RelayHandshake(secret: "s")
        var psync = ByteBuffer(string: "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        #expect(try machine.receive(&psync) == .refuse("-NOAUTH Authentication required.\r\n"))
    }

    /// Runs the splitter over `rdb` in `pieces`, passing every consumed slice through a rewriter, as the relay does.
    static func rewrite(_ rdb: [UInt8], pieces: [Range<Int>], margin: Int64, now: Int64) throws -> (
        bytes: [UInt8], keptLonger: Int
    ) {
        var splitter = RDBSplitter()
        var rewriter = SnapshotRewriter(marginMilliseconds: margin)
        var buffer = ByteBuffer()
        var output: [UInt8] = []
        for piece in pieces {
            buffer.writeBytes(rdb[piece])
            while true {
                let unread = buffer  // shares the bytes: a slice of what was consumed is taken from it
                let before = splitter.bytesConsumed
                let event = try splitter.next(from: &buffer)
                let consumed = splitter.bytesConsumed - before
                var isEnd = false
                if case .end = event { isEnd = true }
                if consumed > 0, let slice = unread.getSlice(at: unread.readerIndex, length: consumed) {
                    let out = rewriter.rewrite(
                        slice, expiry: splitter.lastExpiryField, end: isEnd, version: splitter.version, now: now)
                    output += out.readableBytesView
                }
                if event == nil { break }
            }
        }
        #expect(splitter.isFinished)
        return (output, rewriter.keysKeptLonger)
    }

    @Test("with no expiry near, the relayed RDB is the source's byte for byte, however it is split")
    func unchanged() throws {
        let rdb = try RDBSplitterTests.datasetRDB()
        for split in stride(from: 1, to: rdb.count, by: 7) {
            let (bytes, kept) = try Self.rewrite(rdb, pieces: [0..<split, split..<rdb.count], margin: 0, now: 0)
            #expect(bytes == rdb, "split at \(split)")
            #expect(kept == 0)
        }
    }

    @Test("expiries closer than the margin move out to it; the checksum is computed again and verifies")
    func expiriesMoved() throws {
        let rdb = try RDBSplitterTests.datasetRDB()
        let original = try RDBSplitterTests.split(rdb, pieces: [0..<rdb.count])
        let records = original.compactMap { event -> RDBKeyRecord? in
            guard case .key(let record) = event else { return nil }
            return record
        }
        let expiries = records.compactMap(\.expireAtMilliseconds)
        try #require(!expiries.isEmpty, "the fixture has keys with an expiry")
        let latest = expiries.max() ?? 0
        let now = latest + 1000  // every expiry has passed
        let margin: Int64 = 120_000
        for split in stride(from: 1, to: rdb.count, by: 11) {
            let (bytes, kept) = try Self.rewrite(rdb, pieces: [0..<split, split..<rdb.count], margin: margin, now: now)
            #expect(kept == expiries.count)
            #expect(bytes.count == rdb.count)
            // The splitter checks the end checksum: a wrong one throws.
            let events = try RDBSplitterTests.split(bytes, pieces: [0..<bytes.count])
            #expect(events.count == original.count)
            let relayedRecords = events.compactMap { event -> RDBKeyRecord? in
                guard case .key(let record) = event else { return nil }
                return record
            }
            #expect(relayedRecords.count == records.count)
            for (relayed, source) in zip(relayedRecords, records) {
                var record = relayed
                if source.expireAtMilliseconds != nil {
                    #expect(record.expireAtMilliseconds == now + margin)
                    record.expireAtMilliseconds = source.expireAtMilliseconds
                }
                #expect(record == source)
            }
        }
    }
}
