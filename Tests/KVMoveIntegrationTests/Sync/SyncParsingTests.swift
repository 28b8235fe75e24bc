import KVMoveSync
import NIOCore
import Testing

@Suite("Sync helpers that need no server")
struct SyncParsingTests {
    @Test(
        "keys print as UTF-8 when they can, escaped otherwise",
        arguments: [
            ([UInt8]("user:42".utf8), "user:42"),
            ([UInt8]("ключ".utf8), "ключ"),
            ([0xFF, 0x00, 0x61, 0x5C, 0x22], #""\xff\x00a\\\"""#),
            ([0x61, 0x0A], #""a\x0a""#),
        ])
    func printableKeys(bytes: [UInt8], expected: String) {
        #expect(KeyText.printable(ByteBuffer(bytes: bytes)) == expected)
    }

    @Test("an endpoint never shows its password")
    func endpointDescription() {
        let endpoint = RedisEndpoint(port: 6380, username: "app", password: "hunter2")
        #expect("\(endpoint)" == "127.0.0.1:6380")
        #expect(!"\(endpoint.configuration())".contains("hunter2"))
    }
}
