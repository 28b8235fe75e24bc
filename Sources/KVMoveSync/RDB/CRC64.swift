/// The CRC-64 Redis puts at the end of RDB files and `DUMP` payloads (pycrc "CRC-64/Jones" as Redis calls it).
///
/// Polynomial `0xad93d23594c935a9`, reflected in and out, initial value 0 (what Redis's callers pass, whatever
/// its header says), no final xor: `CRC64.checksum("123456789") == 0xe9c6d914c4b8d9ca`. Slicing by eight, as
/// Redis's `crcspeed.c` does, so checksumming a full sync costs little next to the network.
package struct CRC64: Sendable, Hashable {
    /// The running value; 0 before any byte.
    package private(set) var value: UInt64

    /// Starts a checksum from `value` (0 for a new one).
    package init(value: UInt64 = 0) {
        self.value = value
    }

    /// The reflected polynomial the tables are built from.
    static let reflectedPolynomial: UInt64 = 0x95ac_9329_ac4b_c9b5

    /// Eight tables of 256 entries, back to back: entry `k * 256 + b` is the CRC of byte `b` followed by `k`
    /// zero bytes.
    static let table: [UInt64] = {
        var table = [UInt64](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt64(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1
            }
            table[byte] = crc
        }
        for k in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(k - 1) * 256 + byte]
                table[k * 256 + byte] = table[Int(previous & 0xff)] ^ (previous >> 8)
            }
        }
        return table
    }()

    /// Adds `bytes` to the checksum.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = value
        Self.table.withUnsafeBufferPointer { t in
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                let mixed = crc ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                crc =
                    t[1792 + Int(mixed & 0xff)] ^ t[1536 + Int((mixed >> 8) & 0xff)]
                    ^ t[1280 + Int((mixed >> 16) & 0xff)] ^ t[1024 + Int((mixed >> 24) & 0xff)]
                    ^ t[768 + Int((mixed >> 32) & 0xff)] ^ t[512 + Int((mixed >> 40) & 0xff)]
                    ^ t[256 + Int((mixed >> 48) & 0xff)] ^ t[Int(mixed >> 56)]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt64(bytes[index])) & 0xff)] ^ (crc >> 8)
                index += 1
            }
        }
        value = crc
    }

    /// Adds `bytes` to the checksum.
    package mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// The checksum of `bytes`.
    package static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var crc = CRC64()
        crc.update(bytes)
        return crc.value
    }
}
