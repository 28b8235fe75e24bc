import NIOCore

/// Builds the payloads `RESTORE` and `FUNCTION RESTORE` take: the RDB bytes, then the RDB version
/// (2 bytes, little endian) and the CRC-64 of everything before it (8 bytes, little endian).
package enum DumpPayload {
    /// The RDB version of each Redis release line, for the footer: a target accepts any version up to its own.
    package static func rdbVersion(redisVersion: String) -> Int? {
        let parts = redisVersion.split(separator: ".").compactMap { Int($0) }
        guard let major = parts.first else { return nil }
        let minor = parts.count > 1 ? parts[1] : 0
        switch (major, minor) {
        case (..<5, _): return nil
        case (5, _), (6, _): return 9
        case (7, ..<2): return 10
        case (7, 2): return 11
        default: return 12
        }
    }

    /// `type ‖ value ‖ version ‖ crc64` for `RESTORE`.
    package static func make(type: UInt8, value: ByteBuffer, rdbVersion: Int) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.reserveCapacity(value.readableBytes + 11)
        payload.writeInteger(type)
        payload.writeImmutableBuffer(value)
        return finish(&payload, rdbVersion: rdbVersion)
    }

    /// `body ‖ version ‖ crc64`, for a body that already starts with its type or opcode (`FUNCTION RESTORE`).
    package static func make(body: ByteBuffer, rdbVersion: Int) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.reserveCapacity(body.readableBytes + 10)
        payload.writeImmutableBuffer(body)
        return finish(&payload, rdbVersion: rdbVersion)
    }

    private static func finish(_ payload: inout ByteBuffer, rdbVersion: Int) -> ByteBuffer {
        payload.writeInteger(UInt16(truncatingIfNeeded: rdbVersion), endianness: .little)
        var crc = CRC64()
        payload.withUnsafeReadableBytes { crc.update($0) }
        payload.writeInteger(crc.value, endianness: .little)
        return payload
    }
}
