/// Decompresses LZF, the compression Redis uses for strings in RDB files and `DUMP` payloads.
///
/// The splitter needs it only for keys (a key must be sent to `RESTORE` in plain form); values are passed on
/// compressed, exactly as they were written.
package enum LZF {
    /// The `expectedLength` bytes that `compressed` decompresses to.
    ///
    /// - Throws: ``RDBError/corrupt(_:)`` when the data is not valid LZF or does not decompress to that length.
    package static func decompress(_ compressed: UnsafeRawBufferPointer, expectedLength: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedLength)
        var input = 0
        var written = 0
        let end = compressed.count
        while input < end {
            let control = Int(compressed[input])
            input += 1
            if control < 32 {  // a literal run of control + 1 bytes
                let run = control + 1
                guard input + run <= end, written + run <= expectedLength else {
                    throw RDBError.corrupt("an LZF literal run overflows")
                }
                for index in 0..<run { output[written + index] = compressed[input + index] }
                input += run
                written += run
            } else {  // a back reference
                var length = control >> 5
                if length == 7 {
                    guard input < end else { throw RDBError.corrupt("an LZF back reference is cut short") }
                    length += Int(compressed[input])
                    input += 1
                }
                guard input < end else { throw RDBError.corrupt("an LZF back reference is cut short") }
                let reference = written - ((control & 0x1f) << 8) - 1 - Int(compressed[input])
                input += 1
                length += 2
                guard reference >= 0, written + length <= expectedLength else {
                    throw RDBError.corrupt("an LZF back reference points outside the data")
                }
                for index in 0..<length { output[written + index] = output[reference + index] }
                written += length
            }
        }
        guard written == expectedLength else {
            throw RDBError.corrupt("LZF data decompressed to \(written) bytes, not \(expectedLength)")
        }
        return output
    }
}
