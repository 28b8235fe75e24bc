import KVMoveRESP
import KVMoveSync
import NIOCore
import Testing

/// The RDB splitter on a hostile dataset a real redis-server 7.0 sent: every type and encoding.
@Suite("RDB splitter")
struct RDBSplitterTests {
    /// The dataset's RDB: the bytes after the `$<len>` line of its full sync.
    static func datasetRDB() throws -> [UInt8] {
        let bytes = try ReplicationFixtures.bytes("dataset")
        let text = bytes.firstRange(of: Array("\r\n$".utf8))!
        let headerEnd = bytes[text.upperBound...].firstIndex(of: UInt8(ascii: "\n"))! + 1
        let length = Int(String(decoding: bytes[text.upperBound..<(headerEnd - 2)], as: UTF8.self))!
        return Array(bytes[headerEnd..<(headerEnd + length)])
    }

    static func split(_ rdb: [UInt8], pieces: [Range<Int>]) throws -> [RDBEvent] {
        var splitter = RDBSplitter()
        var buffer = ByteBuffer()
        var events: [RDBEvent] = []
        for piece in pieces {
            buffer.writeBytes(rdb[piece])
            while let event = try splitter.next(from: &buffer) { events.append(event) }
            buffer.discardReadBytes()
        }
        #expect(splitter.isFinished)
        #expect(buffer.readableBytes == 0)
        return events
    }

    @Test("every key's payload is byte for byte what DUMP returned, with db, key and expiry")
    func payloadsEqualDump() throws {
        let meta = try ReplicationFixtures.meta("dataset")
        let rdb = try Self.datasetRDB()
        let events = try Self.split(rdb, pieces: [0..<rdb.count])
        let records = events.compactMap { event -> RDBKeyRecord? in
            if case .key(let record) = event { return record }
            return nil
        }
        let expected = meta.keys ?? []
        #expect(records.count == expected.count)
        #expect(expected.count > 25)
        for key in expected {
            let record = records.first { $0.database == key.db && Array(buffer: $0.key) == [UInt8](hex: key.key) }
            guard let record else {
                Issue.record("key \(key.key) in db \(key.db) was not split out")
                continue
            }
            let payload = DumpPayload.make(type: record.type, value: record.value, rdbVersion: 10)
            #expect(Array(buffer: payload) == [UInt8](hex: key.dump), "key \(String(buffer: record.key))")
            #expect((record.expireAtMilliseconds ?? -1) == key.pexpiretime, "key \(String(buffer: record.key))")
        }
        let types = Set(records.map(\.type))
        #expect(types.isSuperset(of: [0, 2, 4, 5, 11, 16, 17, 18, 19]))
        let functions = events.compactMap { event -> ByteBuffer? in
            if case .function(let body) = event { return body }
            return nil
        }
        #expect(functions.count == 1)
        if let body = functions.first {
            #expect(
                Array(buffer: DumpPayload.make(body: body, rdbVersion: 10)) == [UInt8](hex: meta.functionDump ?? ""))
        }
        #expect(events.contains(.selectDatabase(5)))
        #expect(events.contains(.selectDatabase(15)))
        #expect(events.last.map { if case .end(_, true) = $0 { true } else { false } } == true)
    }

    @Test("split into two pieces at every 7th boundary, and in pieces of every size up to 64")
    func splits() throws {
        let rdb = try Self.datasetRDB()
        let reference = try Self.split(rdb, pieces: [0..<rdb.count])
        for split in stride(from: 0, through: rdb.count, by: 7) {
            #expect(try Self.split(rdb, pieces: [0..<split, split..<rdb.count]) == reference, "split at \(split)")
        }
        for size in 1...64 {
            let pieces = stride(from: 0, to: rdb.count, by: size).map { $0..<min(rdb.count, $0 + size) }
            #expect(try Self.split(rdb, pieces: pieces) == reference, "pieces of \(size)")
        }
    }

    @Test("a damaged byte fails the checksum")
    func checksum() throws {
        var rdb = try Self.datasetRDB()
        // A byte inside the first string value: the structure stays valid, the checksum does not.
        let index = rdb.firstRange(of: Array("an integer-encoded key".utf8))!.lowerBound
        rdb[index] ^= 0x20
        #expect {
            _ = try Self.split(rdb, pieces: [0..<rdb.count])
        } throws: { error in
            if case RDBError.checksumMismatch = error { return true }
            return false
        }
    }

    @Test("a module value stops the split and names the key and the module")
    func moduleValue() throws {
        // REDIS0010, SELECTDB 0, type 7 (MODULE_2), key "doc", module id of "ReJSON-RL" version 3.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var id: UInt64 = 0
        for character in "ReJSON-RL" { id = id << 6 | UInt64(alphabet.firstIndex(of: character)!) }
        id = id << 10 | 3
        var bytes = Array("REDIS0010".utf8) + [0xFE, 0x00, 0x07, 0x03] + Array("doc".utf8) + [0x81]
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: id >> UInt64(shift)))
        }
        var splitter = RDBSplitter()
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: RDBError.moduleValue(database: 0, key: "doc", module: "ReJSON-RL")) {
            while try splitter.next(from: &buffer) != nil {}
        }
    }
}
