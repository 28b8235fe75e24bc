import NIOCore

/// Turns the source's RDB, as it is read, into the RDB relayed to the target: the same bytes, except that an
/// expiry closer than the margin is moved out to it, and the checksum is computed again over what was sent.
///
/// The TTL gap: a key about to expire is kept long enough for the stream after the snapshot to renew or
/// delete it, as the `RESTORE` path does (``ReplicaChannel/Options/ttlMarginMilliseconds``). An expiry is a
/// fixed-width field, so moving it changes no length and no offset. Feed it, in order, every slice of RDB
/// bytes the parser consumed, with the parser's ``RDBSplitter/lastExpiryField`` after that slice.
package struct SnapshotRewriter: Sendable {
    private var crc = CRC64()
    /// RDB bytes passed so far.
    package private(set) var bytes = 0
    /// Keys whose expiry was moved out to the margin.
    package private(set) var keysKeptLonger = 0
    private let marginMilliseconds: Int64
    private var rewrittenField: Int?

    /// A rewriter that keeps every key at least `marginMilliseconds` from expiring.
    package init(marginMilliseconds: Int64) {
        self.marginMilliseconds = marginMilliseconds
    }

    /// The bytes to send for `slice`, the next RDB bytes consumed.
    ///
    /// `expiry` is the newest expiry field read so far and `version` the RDB's version. At the end of the
    /// file (`end`), the checksum is replaced.
    package mutating func rewrite(
        _ slice: ByteBuffer, expiry: RDBSplitter.ExpiryField?, end: Bool, version: Int, now: Int64
    ) -> ByteBuffer {
        var slice = slice
        let start = bytes
        if let expiry, expiry.offset >= start, expiry.offset + expiry.width <= start + slice.readableBytes,
            rewrittenField != expiry.offset
        {
            rewrittenField = expiry.offset
            let index = slice.readerIndex + expiry.offset - start
            let floor = now + marginMilliseconds
            if expiry.width == 8, let at = slice.getInteger(at: index, endianness: .little, as: Int64.self),
                at < floor
            {
                slice.setInteger(floor, at: index, endianness: .little)
                keysKeptLonger += 1
            } else if expiry.width == 4,
                let at = slice.getInteger(at: index, endianness: .little, as: UInt32.self),
                Int64(at) * 1000 < floor
            {
                slice.setInteger(UInt32(clamping: floor / 1000 + 1), at: index, endianness: .little)
                keysKeptLonger += 1
            }
        }
        bytes += slice.readableBytes
        if end, version >= 5, slice.readableBytes >= 8 {
            // The file's last eight bytes are its checksum, of everything before them.
            let body = slice.readableBytes - 8
            slice.withUnsafeReadableBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<body])) }
            slice.setInteger(crc.value, at: slice.readerIndex + body, endianness: .little)
            return slice
        }
        slice.withUnsafeReadableBytes { crc.update($0) }
        return slice
    }
}
