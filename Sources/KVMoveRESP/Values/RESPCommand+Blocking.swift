import NIOCore

extension RESPCommand {
    /// How long a blocking command may wait on the server before it answers.
    package enum Blocking: Sendable, Equatable {
        /// Until the condition holds, however long (a block time of 0).
        case forever
        /// At most this long.
        case upTo(Duration)
    }

    /// How long the server may hold this command before answering: nil for a command that does not block.
    ///
    /// Covers the list and sorted-set pops (`BLPOP`, `BRPOP`, `BRPOPLPUSH`, `BLMOVE`, `BZPOPMIN`, `BZPOPMAX`:
    /// seconds, last argument; `BLMPOP`, `BZMPOP`: seconds, first argument), `WAIT` and `WAITAOF` (milliseconds,
    /// last argument) and `XREAD`/`XREADGROUP` with `BLOCK` (milliseconds). An argument that is not a number
    /// counts as no block time: the server rejects such a command at once.
    package var blocking: Blocking? {
        guard let first = name.utf8.first, [0x42, 0x62, 0x57, 0x77, 0x58, 0x78].contains(first) else { return nil }
        switch name.uppercased() {
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX":
            return Self.blocking(seconds: arguments.last)
        case "BLMPOP", "BZMPOP":
            return Self.blocking(seconds: arguments.first)
        case "WAIT", "WAITAOF":
            return Self.blocking(milliseconds: arguments.last)
        case "XREAD", "XREADGROUP":
            guard
                let index = arguments.firstIndex(where: { $0.text?.uppercased() == "BLOCK" }),
                index + 1 < arguments.count
            else { return nil }
            return Self.blocking(milliseconds: arguments[index + 1])
        default:
            return nil
        }
    }

    private static func blocking(seconds argument: RESPArgument?) -> Blocking? {
        guard let seconds = argument?.text.flatMap(Double.init), seconds.isFinite, seconds >= 0 else { return nil }
        return seconds == 0 ? .forever : .upTo(.milliseconds(Int64((seconds * 1000).rounded(.up))))
    }

    private static func blocking(milliseconds argument: RESPArgument?) -> Blocking? {
        guard let milliseconds = argument?.text.flatMap({ Int64($0) }), milliseconds >= 0 else { return nil }
        return milliseconds == 0 ? .forever : .upTo(.milliseconds(milliseconds))
    }
}

extension RESPArgument {
    /// The argument as text, when it is short enough to be an option or a number.
    var text: String? {
        switch storage {
        case .string(let text): text
        case .integer(let value): String(value)
        case .buffer(let bytes): bytes.readableBytes <= 32 ? String(buffer: bytes) : nil
        case .bytes(let bytes): bytes.count <= 32 ? String(decoding: bytes, as: UTF8.self) : nil
        }
    }
}
