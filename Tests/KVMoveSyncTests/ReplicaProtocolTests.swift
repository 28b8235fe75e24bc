import KVMoveRESP
import KVMoveSync
import NIOCore
import Testing

/// The replica handshake and stream parser on streams a real redis-server 7.0 sent, split at every boundary.
@Suite("Replica protocol on captured streams")
struct ReplicaProtocolTests {
    static let handshake = [
        "*1\r\n$4\r\nPING\r\n",
        "*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n",
        "*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n",
        "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n",
    ]

    static let streamed = [
        #""SELECT" "0""#, #""SET" "stream:a" "1""#, #""INCR" "stream:counter""#,
        "SETPXAT", #""SELECT" "3""#, #""RPUSH" "stream:list" "x" "y""#, #""SELECT" "0""#,
        #""MULTI""#, #""SET" "stream:e1" "a""#, #""SET" "stream:e2" "b""#, #""EXEC""#,
        #""MULTI""#, #""HSET" "stream:h" "f" "v""#, #""SADD" "stream:s" "m""#, #""EXEC""#,
    ]

    /// The whole stream at once: the reference every split is compared with.
    static func whole(_ name: String) throws -> ReplicaTranscript {
        let bytes = try ReplicationFixtures.bytes(name)
        return try ReplicaTranscript.run(bytes, pieces: [0..<bytes.count])
    }

    @Test(
        "diskless full sync: $EOF-marked RDB, then the command stream, offset exact", arguments: ["diskless", "disk"])
    func fullSync(name: String) throws {
        let meta = try ReplicationFixtures.meta(name)
        let transcript = try Self.whole(name)
        #expect(transcript.sent == Self.handshake)
        #expect(transcript.psync == "FULLRESYNC \(meta.replid) 0")
        #expect(transcript.events.first?.hasPrefix(name == "diskless" ? "rdb eof-marked" : "rdb 2") == true)
        #expect(transcript.events.contains("aux repl-stream-db=0"))
        #expect(transcript.events.contains("aux repl-offset=0"))
        #expect(transcript.events.contains { $0.hasPrefix("end(checksum: ") && $0.hasSuffix("verified: true)") })
        #expect(transcript.rdbKeys.map { String(buffer: $0.key) }.sorted() == ["foo", "l", "n", "ttl"])
        #expect(transcript.rdbKeys.first { String(buffer: $0.key) == "ttl" }?.expireAtMilliseconds != nil)
        let commands = transcript.events.drop { $0 != "rdb finished" }.dropFirst().filter { $0 != "keep-alive" }
        // `SET … EX 100` arrives as `SET … PXAT <absolute ms>`.
        let writes = commands.filter { !$0.hasPrefix(#""ping""#) }.map {
            $0.hasPrefix(#""SET" "stream:ttl" "v" "PXAT" "#) ? "SETPXAT" : $0
        }
        #expect(Array(writes.prefix(Self.streamed.count)) == Self.streamed)
        #expect(writes.dropFirst(Self.streamed.count).first?.hasPrefix(#""SET" "stream:bin\0"#) == true)
        #expect(writes.last == #""DEL" "stream:a""#)
        #expect(commands.contains(#""ping""#))
        // Every byte after the RDB counts: the source's master_repl_offset once the stream went quiet.
        #expect(transcript.streamBytes == meta.masterReplOffset)
    }

    @Test(
        "split at every boundary into two pieces, the transcript is the same",
        arguments: ["diskless", "disk", "continue"])
    func everySplit(name: String) throws {
        let bytes = try ReplicationFixtures.bytes(name)
        let reference = try Self.whole(name)
        for split in 0...bytes.count {
            let transcript = try ReplicaTranscript.run(bytes, pieces: [0..<split, split..<bytes.count])
            #expect(transcript == reference, "split at \(split)")
        }
    }

    @Test("fed one byte at a time, the transcript is the same", arguments: ["diskless", "disk", "continue", "dataset"])
    func byteByByte(name: String) throws {
        let bytes = try ReplicationFixtures.bytes(name)
        let reference = try Self.whole(name)
        let transcript = try ReplicaTranscript.run(bytes, pieces: (0..<bytes.count).map { $0..<($0 + 1) })
        #expect(transcript == reference)
    }

    @Test("PSYNC <replid> <offset+1> continues: +CONTINUE, the backlog, no SELECT, offset exact")
    func continued() throws {
        let meta = try ReplicationFixtures.meta("continue")
        let bytes = try ReplicationFixtures.bytes("continue")
        let resume = ReplicationPosition(
            replicationId: meta.replid, offset: (meta.requestedOffset ?? 1) - 1, database: 0)
        let transcript = try ReplicaTranscript.run(bytes, pieces: [0..<bytes.count], resume: resume)
        #expect(transcript.sent.last == "*3\r\n$5\r\nPSYNC\r\n$40\r\n\(meta.replid)\r\n$3\r\n573\r\n")
        #expect(transcript.psync == "CONTINUE \(meta.replid)")
        let writes = transcript.events.filter { !$0.hasPrefix(#""ping""#) }
        #expect(writes == [#""SET" "after:cut" "1""#, #""INCRBY" "after:counter" "5""#])
        #expect(resume.offset + transcript.streamBytes == meta.masterReplOffset)
    }

    @Test("a password is sent first, keep-alive newlines before a reply are skipped")
    func authAndKeepAlives() throws {
        let replies = Array(
            "+OK\r\n+OK\r\n\n\n+PONG\r\n+OK\r\n\n+OK\r\n\n\n\n+FULLRESYNC \(String(repeating: "a", count: 40)) 42\r\n"
                .utf8)
        var handshake = ReplicaHandshake(password: "secret", clientName: "kvmove-sync", listeningPort: 1)
        var sent: [String] = []
        var outcome: ReplicaHandshake.Action?
        if case .send(let command) = handshake.start() { sent.append(command.name) }
        var buffer = ByteBuffer()
        for byte in replies {
            buffer.writeInteger(byte)
            while true {
                let action = try handshake.receive(&buffer)
                if case .send(let command) = action {
                    sent.append(command.name)
                    continue
                }
                if case .fullResync = action { outcome = action }
                break
            }
        }
        #expect(sent == ["AUTH", "CLIENT", "PING", "REPLCONF", "REPLCONF", "PSYNC"])
        #expect(outcome == .fullResync(replicationId: String(repeating: "a", count: 40), offset: 42))
    }

    @Test("a refused PSYNC is an error that says so")
    func refused() throws {
        var handshake = ReplicaHandshake()
        _ = handshake.start()
        var buffer = ByteBuffer(
            string: "+PONG\r\n+OK\r\n+OK\r\n-NOPERM this user has no permissions to run 'psync'\r\n")
        #expect(
            throws: ReplicationError.refused(
                command: "PSYNC", reply: "NOPERM this user has no permissions to run 'psync'")
        ) {
            while case .send = try handshake.receive(&buffer) {}
        }
    }

    @Test("an EOF mark that does not match is a protocol violation")
    func wrongMark() throws {
        var bytes = try ReplicationFixtures.bytes("diskless")
        let markStart = bytes.count - 572 - 40
        bytes[markStart + 3] ^= 1
        #expect(throws: ReplicationError.protocolViolation("the RDB is not followed by its end mark")) {
            _ = try ReplicaTranscript.run(bytes, pieces: [0..<bytes.count])
        }
    }
}
