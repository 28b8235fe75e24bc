import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore

/// The byte streams captured from a real redis-server by `scripts/capture-replication-fixtures.py`.
enum ReplicationFixtures {
    /// What the capture script recorded next to a stream.
    struct Meta: Decodable {
        struct Key: Decodable {
            var db: Int
            var key: String
            var dump: String
            var pexpiretime: Int64
        }
        var masterReplOffset: Int64
        var replid: String
        var requestedOffset: Int64?
        var keys: [Key]?
        var functionDump: String?
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "bin") else {
            throw FixtureMissing(name: name)
        }
        return Array(try Data(contentsOf: url))
    }

    static func meta(_ name: String) throws -> Meta {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json") else {
            throw FixtureMissing(name: name)
        }
        return try JSONDecoder().decode(Meta.self, from: Data(contentsOf: url))
    }

    struct FixtureMissing: Error { var name: String }
}

extension Array where Element == UInt8 {
    /// The bytes of a hex string.
    init(hex: String) {
        var bytes: [UInt8] = []
        var iterator = hex.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String([high, low]), radix: 16) ?? 0)
        }
        self = bytes
    }
}

/// Drives the replica protocol over captured bytes, delivered in the given pieces, and records what happened.
struct ReplicaTranscript: Equatable {
    var sent: [String] = []
    var psync: String = ""
    var events: [String] = []
    var streamBytes: Int64 = 0
    var rdbKeys: [RDBKeyRecord] = []
    var functions: [ByteBuffer] = []

    static func run(
        _ bytes: [UInt8], pieces: [Range<Int>], password: String? = nil, resume: ReplicationPosition? = nil
    ) throws -> ReplicaTranscript {
        var transcript = ReplicaTranscript()
        var handshake = ReplicaHandshake(password: password, listeningPort: 6380, resume: resume)
        var parser: ReplicationStreamParser?
        var buffer = ByteBuffer()
        func record(_ action: ReplicaHandshake.Action) {
            switch action {
            case .send(let command):
                var wire = ByteBuffer()
                command.encode(into: &wire)
                transcript.sent.append(String(buffer: wire))
            case .wait: break
            case .fullResync(let id, let offset):
                transcript.psync = "FULLRESYNC \(id) \(offset)"
                parser = ReplicationStreamParser(fullSync: true)
            case .continued(let id):
                transcript.psync = "CONTINUE \(id ?? "")"
                parser = ReplicationStreamParser(fullSync: false)
            }
        }
        record(handshake.start())
        for piece in pieces {
            buffer.writeBytes(bytes[piece])
            while true {
                if var active = parser {
                    guard let event = try active.next(from: &buffer) else {
                        parser = active
                        break
                    }
                    parser = active
                    transcript.append(event)
                } else {
                    let action = try handshake.receive(&buffer)
                    record(action)
                    if case .wait = action { break }
                }
            }
            if buffer.readerIndex > 64 { buffer.discardReadBytes() }
        }
        transcript.streamBytes = parser?.streamBytes ?? 0
        return transcript
    }

    mutating func append(_ event: ReplicationStreamParser.Event) {
        switch event {
        case .rdbStarted(let length): events.append("rdb \(length.map(String.init) ?? "eof-marked")")
        case .rdbFinished: events.append("rdb finished")
        case .rdb(.key(let record)):
            rdbKeys.append(record)
            events.append("key db\(record.database) \(String(buffer: record.key)) type \(record.type)")
        case .rdb(.function(let body)):
            functions.append(body)
            events.append("function \(body.readableBytes) bytes")
        case .rdb(.aux(let key, let value)):
            events.append("aux \(key)=\(key == "ctime" || key == "used-mem" ? "…" : String(buffer: value))")
        case .rdb(let other): events.append("\(other)")
        case .command(let frame):
            events.append(
                frame.arguments.isEmpty
                    ? "keep-alive" : frame.arguments.map { String(buffer: $0).debugDescription }.joined(separator: " "))
        }
    }
}
