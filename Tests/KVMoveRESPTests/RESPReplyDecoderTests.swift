import NIOCore
import NIOTestUtils
import Testing

@testable import KVMoveRESP

@Suite("RESP reply decoder")
struct RESPReplyDecoderTests {
    private func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    private func decodeAll(_ text: String) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var decoder = RESPReplyDecoder()
        var values: [RESPValue] = []
        while let value = try decoder.next(from: &buffer) { values.append(value) }
        return values
    }

    @Test("every reply type decodes byte by byte and in chunks")
    func verifierPairs() throws {
        let pairs: [(String, [RESPValue])] = [
            ("+OK\r\n", [.simpleString("OK")]),
            (
                "-WRONGTYPE Operation against a key\r\n",
                [.error(RESPServerError(code: "WRONGTYPE", message: "Operation against a key"))]
            ),
            ("-ERR\r\n", [.error(RESPServerError(code: "ERR", message: ""))]),
            (":0\r\n:-42\r\n:9223372036854775807\r\n", [.integer(0), .integer(-42), .integer(.max)]),
            ("$0\r\n\r\n", [bulk("")]),
            ("$-1\r\n", [.null]),
            ("*-1\r\n", [.null]),
            ("*0\r\n", [.array([])]),
            ("$5\r\nhe\r\no\r\n", [bulk("he\r\no")]),
            ("*2\r\n*2\r\n:1\r\n$1\r\na\r\n*0\r\n", [.array([.array([.integer(1), bulk("a")]), .array([])])]),
            ("_\r\n", [.null]),
            ("#t\r\n#f\r\n", [.boolean(true), .boolean(false)]),
            (
                ",1.5\r\n,-0.25\r\n,inf\r\n,-inf\r\n",
                [.double(1.5), .double(-0.25), .double(.infinity), .double(-.infinity)]
            ),
            (
                "(3492890328409238509324850943850943825024385\r\n",
                [.bigNumber("3492890328409238509324850943850943825024385")]
            ),
            ("=15\r\ntxt:Some string\r\n", [.verbatimString("Some string")]),
            ("!21\r\nSYNTAX invalid syntax\r\n", [.error(RESPServerError(code: "SYNTAX", message: "invalid syntax"))]),
            (
                "%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#f\r\n",
                [.map([.simpleString("first"), bulk("second")], [.integer(1), .boolean(false)])]
            ),
            ("~2\r\n+a\r\n:2\r\n", [.set([.simpleString("a"), .integer(2)])]),
            (
                ">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n",
                [.push([.simpleString("message"), .simpleString("chan"), bulk("hi")])]
            ),
            (
                "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:9\r\n",
                [.array([.integer(2), .integer(9)])]
            ),
            ("*2\r\n|1\r\n+ttl\r\n:3\r\n$1\r\nx\r\n:7\r\n", [.array([bulk("x"), .integer(7)])]),
            ("%0\r\n", [.map([], [])]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: pairs,
            decoderFactory: { RESPReplyDecoder() }
        )
    }

    @Test("nan decodes as a double that is not a number")
    func notANumber() throws {
        let values = try decodeAll(",nan\r\n")
        guard case .double(let value) = values.first else {
            Issue.record("expected a double, got \(values)")
            return
        }
        #expect(value.isNaN)
    }

    @Test("a big bulk string split across reads is kept as a slice")
    func bigBulkInPieces() throws {
        let payload = String(repeating: "x", count: 1 << 20)
        let wire = Array("$\(payload.utf8.count)\r\n\(payload)\r\n:1\r\n".utf8)
        var decoder = RESPReplyDecoder()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        var offset = 0
        while offset < wire.count {
            let end = min(wire.count, offset + 65_536)
            buffer.writeBytes(wire[offset..<end])
            offset = end
            while let value = try decoder.next(from: &buffer) { values.append(value) }
        }
        #expect(values == [bulk(payload), .integer(1)])
        #expect(buffer.readableBytes == 0)
    }

    @Test("a large array that arrives in many reads is scanned once")
    func largeArrayInPieces() throws {
        var wire = "*100000\r\n"
        for index in 0..<100_000 { wire += "$\(String(index).utf8.count)\r\n\(index)\r\n" }
        let bytes = Array(wire.utf8)
        var decoder = RESPReplyDecoder()
        var buffer = ByteBuffer()
        var result: RESPValue?
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 4096)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            if let value = try decoder.next(from: &buffer) { result = value }
        }
        #expect(result?.array?.count == 100_000)
        #expect(result?.array?.last?.string == "99999")
    }

    @Test(
        "malformed input is an error, not a crash",
        arguments: [
            "?what\r\n", ":12a\r\n", "$abc\r\n", "$-2\r\n", "*-5\r\n", "$3\r\nabcde\r\n", "+OK\rX",
            ":99999999999999999999999\r\n", "#x\r\n", ",notanumber\r\n", "$?\r\n", "*?\r\n", "%-1\r\n",
        ]
    )
    func malformed(input: String) {
        #expect(throws: RESPError.self) { _ = try decodeAll(input) }
    }

    @Test("deep nesting is refused")
    func deepNesting() {
        let input = String(repeating: "*1\r\n", count: 10_000) + ":1\r\n"
        #expect(throws: RESPError.self) { _ = try decodeAll(input) }
    }

    @Test("convenience accessors")
    func accessors() {
        #expect(bulk("12").int == 12)
        #expect(RESPValue.integer(5).int == 5)
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(RESPValue.verbatimString("v").string == "v")
        #expect(RESPValue.set([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.null.string == nil)
        #expect(RESPValue.simpleString("a").bytes == ByteBuffer(string: "a"))
        #expect(RESPValue.array([bulk("k"), bulk("v")]).pairs?.first?.value == bulk("v"))
    }

    @Test("error descriptions name their source")
    func descriptions() {
        let server = RESPServerError(line: "WRONGPASS invalid username-password pair")
        #expect(server.code == "WRONGPASS")
        #expect("\(RESPError.server(server))" == "(redis) WRONGPASS invalid username-password pair")
        #expect("\(RESPError.closed)".hasPrefix("(redis) "))
        #expect("\(RESPError.connection("cannot connect to 127.0.0.1:1: refused"))".hasPrefix("(redis) "))
        #expect("\(RESPError.protocolViolation("x"))".hasPrefix("(redis) "))
    }
}
