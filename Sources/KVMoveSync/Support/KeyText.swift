import NIOCore

/// Turns binary-safe key names into printable text.
package enum KeyText {
    /// The key as UTF-8 when it is valid UTF-8 without control characters, else escaped like `"\xff\x00ab"`.
    package static func printable(_ key: ByteBuffer) -> String {
        let bytes = key.readableBytesView
        if let text = String(validating: bytes, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        {
            return text
        }
        var escaped = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): escaped += "\\\\"
            case UInt8(ascii: "\""): escaped += "\\\""
            case 0x20..<0x7F: escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                escaped += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return escaped + "\""
    }
}
