import NIOCore

/// The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its `{hashtag}`, modulo 16384.
///
/// A cluster (or a cluster instance's proxy) refuses, or must split, a multi-key command or a script whose
/// keys lie in more than one slot; verification sends none (a test checks every command against this).
package enum HashSlot {
    /// The number of slots of a Redis Cluster.
    package static let count = 16384

    /// The slot of `key`: only the part between the first `{` and the next `}` counts when it is not empty.
    package static func of(_ key: some Collection<UInt8>) -> Int {
        let bytes = Array(key)
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
            let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
        {
            return Int(crc16(bytes[(open + 1)..<close]) % UInt16(count))
        }
        return Int(crc16(bytes) % UInt16(count))
    }

    /// The slot of a key held in a buffer.
    package static func of(_ key: ByteBuffer) -> Int { of(key.readableBytesView) }

    /// The slot of a key given as text.
    package static func of(_ key: String) -> Int { of(Array(key.utf8)) }

    /// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as Redis Cluster uses it.
    package static func crc16(_ bytes: some Collection<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
