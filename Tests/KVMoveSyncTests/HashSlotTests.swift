import KVMoveSync
import Testing

/// The hash-slot function verification's commands are checked against.
@Suite("Hash slots")
struct HashSlotTests {
    @Test("CRC16 is XMODEM: the check value of \"123456789\" is 0x31C3")
    func checkValue() {
        #expect(HashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
    }

    @Test(
        "slots as Redis Cluster computes them, with the {hashtag} rules",
        arguments: [
            ("foo", 12182), ("bar", 5061), ("{foo}anything", 12182), ("x{bar}y", 5061),
            // An empty tag hashes the whole key; only the first {…} counts; the tag ends at the first }.
            ("foo{}{bar}", HashSlot.of("foo{}{bar}" as String)), ("foo{bar}{zap}", 5061),
            ("foo{{bar}}zap", HashSlot.of("{bar" as String)), ("{user1000}.following", HashSlot.of("user1000")),
        ] as [(String, Int)])
    func slots(key: String, slot: Int) {
        #expect(HashSlot.of(key) == slot)
    }

    @Test("an empty tag hashes the whole key, not the empty string")
    func emptyTag() {
        #expect(HashSlot.of("foo{}{bar}") == Int(HashSlot.crc16(Array("foo{}{bar}".utf8)) % 16384))
        #expect(HashSlot.of("foo{}{bar}") != HashSlot.of(""))
    }
}
