import NIOCore
import Testing

@testable import KVMoveRESP

@Suite("RESP command encoding")
struct RESPCommandEncodingTests {
    private func wire(_ command: RESPCommand) -> String {
        var buffer = ByteBuffer()
        command.encode(into: &buffer)
        return String(buffer: buffer)
    }

    @Test("a command is an array of bulk strings")
    func simple() {
        #expect(wire(RESPCommand("GET", "foo")) == "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n")
        #expect(wire(RESPCommand("PING")) == "*1\r\n$4\r\nPING\r\n")
    }

    @Test("integers, bytes and buffers are bulk strings too")
    func argumentKinds() {
        let command = RESPCommand(
            "RESTORE", RESPArgument(ByteBuffer(bytes: [0xFF, 0x00])), 0, -15, RESPArgument([0x61]),
            RESPArgument(1_234_567_890_123), RESPArgument(Int.min), "")
        var expected = "*8\r\n$7\r\nRESTORE\r\n$2\r\n\u{FF}\u{00}\r\n$1\r\n0\r\n$3\r\n-15\r\n$1\r\na\r\n"
        expected += "$13\r\n1234567890123\r\n$20\r\n-9223372036854775808\r\n$0\r\n\r\n"
        var buffer = ByteBuffer()
        command.encode(into: &buffer)
        var expectedBytes = Array(expected.utf8)
        // U+00FF encodes as two UTF-8 bytes; the argument is the single raw byte 0xFF.
        if let index = expectedBytes.firstIndex(of: 0xC3) {
            expectedBytes.replaceSubrange(index...index + 1, with: [0xFF])
        }
        #expect(Array(buffer.readableBytesView) == expectedBytes)
    }

    @Test("estimated size is never below the real size")
    func estimate() {
        let command = RESPCommand("SET", RESPArgument(String(repeating: "k", count: 300)), RESPArgument(Int.max))
        var buffer = ByteBuffer()
        command.encode(into: &buffer)
        #expect(command.estimatedSize >= buffer.readableBytes)
    }
}
