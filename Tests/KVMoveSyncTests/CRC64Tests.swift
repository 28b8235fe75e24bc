import KVMoveSync
import NIOCore
import Testing

@Suite("CRC-64 and DUMP payloads")
struct CRC64Tests {
    @Test("the check value and Redis's own test vector")
    func checkValues() {
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0xe9c6_d914_c4b8_d9ca)
    }

    @Test("updating in pieces gives the same value as at once", arguments: [1, 3, 7, 8, 9, 64])
    func pieces(size: Int) {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var crc = CRC64()
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + size)
            crc.update(bytes[index..<end])
            index = end
        }
        #expect(crc.value == CRC64.checksum(bytes))
    }

    @Test("DUMP payloads redis-server 7.0 produced")
    func dumpPayloads() {
        #expect(
            Array(
                buffer: DumpPayload.make(type: 0, value: ByteBuffer(bytes: [0x03, 0x62, 0x61, 0x72]), rdbVersion: 10))
                == [0x00, 0x03, 0x62, 0x61, 0x72, 0x0a, 0x00, 0xe6, 0xbe, 0x49, 0x60, 0xee, 0x66, 0xfd, 0x17])
        #expect(
            Array(buffer: DumpPayload.make(type: 0, value: ByteBuffer(bytes: [0xc0, 0x0a]), rdbVersion: 10))
                == [0x00, 0xc0, 0x0a, 0x0a, 0x00, 0x6e, 0x9f, 0x57, 0x45, 0x0e, 0xae, 0x63, 0xbb])
    }

    @Test("the footer version follows the target's release line")
    func versions() {
        #expect(DumpPayload.rdbVersion(redisVersion: "7.0.15") == 10)
        #expect(DumpPayload.rdbVersion(redisVersion: "7.2.4") == 11)
        #expect(DumpPayload.rdbVersion(redisVersion: "7.4.1") == 12)
        #expect(DumpPayload.rdbVersion(redisVersion: "6.2.14") == 9)
        #expect(DumpPayload.rdbVersion(redisVersion: "4.0.0") == nil)
    }
}
