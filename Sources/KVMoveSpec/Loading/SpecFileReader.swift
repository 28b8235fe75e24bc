import Foundation
import KVMoveCore

/// Reads a spec file's bytes into text, refusing files that are too large or not UTF-8.
enum SpecFileReader {
    /// The text of a file, or why there is none.
    enum Outcome {
        case success(String)
        case failure(Diagnostic)
    }

    /// The largest spec file the loader reads.
    static let maxBytes = 1 << 20

    /// The file's text, or the diagnostic that explains why it cannot be read.
    static func read(path: String) -> Outcome {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > maxBytes {
            return .failure(tooLarge(file: path, bytes: size))
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
            return .failure(Diagnostic(.error, "cannot read \(quoted(path)): \(reason)"))
        }
        return decode(data, file: path)
    }

    /// Decodes `data` as UTF-8 (dropping a byte order mark), pointing at the first bad byte if any.
    static func decode(_ data: Data, file: String) -> Outcome {
        if data.count > maxBytes { return .failure(tooLarge(file: file, bytes: data.count)) }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let badOffset = firstInvalidByte(bytes) else {
            return .success(String(decoding: bytes, as: UTF8.self))
        }
        let lossy = String(decoding: bytes, as: UTF8.self)
        let prefix = String(decoding: bytes[..<badOffset], as: UTF8.self)
        let source = SourceText(lossy)
        let position = source.position(ofOffset: prefix.unicodeScalars.count)
        let hex = String(bytes[badOffset], radix: 16, uppercase: true)
        let byte = "0x" + (hex.count < 2 ? "0" + hex : hex)
        return .failure(
            Diagnostic(
                .error,
                "file is not valid UTF-8: unexpected byte \(byte) at byte offset \(badOffset)",
                at: SourceLocation(file: file, line: position.line, column: position.column),
                sourceLine: source.line(position.line)
            )
        )
    }

    /// The offset of the first byte that does not belong to a valid UTF-8 sequence.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .error(let length):
                _ = length
                return offset
            case .emptyInput:
                return nil
            }
        }
    }

    /// The diagnostic for a file over ``maxBytes``.
    static func tooLarge(file: String, bytes: Int) -> Diagnostic {
        Diagnostic(
            .error,
            "file is too large (\(bytes) bytes); spec files are limited to 1 MiB (\(maxBytes) bytes)",
            at: SourceLocation(file: file, line: 1, column: 1)
        )
    }
}
