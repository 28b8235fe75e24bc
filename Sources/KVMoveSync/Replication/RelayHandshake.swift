import KVMoveRESP
import NIOCore

/// The primary's side of a replica's handshake, spoken to a target kvmove relays a snapshot to: a state
/// machine over bytes.
///
/// A Redis replica told `REPLICAOF` sends `PING`, `AUTH` (its `masterauth`, after `masteruser` when set),
/// `REPLCONF listening-port`, perhaps `REPLCONF ip-address`, `REPLCONF capa eof capa psync2` and `PSYNC`, one at
/// a time, each after the reply to the one before. ``receive(_:)`` consumes one command and says what to answer.
/// Only a replica that authenticates with the one-time `secret` kvmove set as the target's `masterauth` gets
/// the snapshot: any other local process that connects first is refused. After `PSYNC` the replica sends
/// `REPLCONF ACK <offset>`, which it first does once it has loaded the snapshot.
package struct RelayHandshake: Sendable {
    /// What to do after a command arrived.
    package enum Action: Sendable, Equatable {
        /// Send these bytes (a reply), then call ``receive(_:)`` again.
        case reply(String)
        /// More bytes are needed.
        case wait
        /// `PSYNC` from an authenticated replica: send `+FULLRESYNC` and the snapshot; `endMark` says whether
        /// it accepts a snapshot of unknown length (`capa eof`).
        case fullSync(endMark: Bool)
        /// The replica acknowledged this offset; it first does so once the snapshot is loaded.
        case acknowledged(Int64)
        /// Send this error and close: the peer is not the replica kvmove expects.
        case refuse(String)
    }

    private enum State: Sendable {
        case handshake
        case syncing
        case refused
    }

    private let secret: String
    private var state = State.handshake
    private var authenticated = false
    private var endMark = false
    private var decoder = RESPCommandFrameDecoder()

    /// A handshake that accepts only `secret` as the replica's password.
    package init(secret: String) {
        self.secret = secret
    }

    /// Consumes the next command from the front of `buffer` and returns what to do about it.
    package mutating func receive(_ buffer: inout ByteBuffer) throws -> Action {
        if case .refused = state { return .wait }
        guard let frame = try decoder.next(from: &buffer) else { return .wait }
        if frame.arguments.isEmpty { return .wait }  // a bare newline: a keep-alive
        let arguments = frame.arguments.map { String(buffer: $0) }
        let name = arguments[0].uppercased()
        switch state {
        case .refused:
            return .wait
        case .syncing:
            if name == "REPLCONF", arguments.count >= 3, arguments[1].uppercased() == "ACK",
                let offset = Int64(arguments[2])
            {
                return .acknowledged(offset)
            }
            return .wait  // nothing else a replica sends needs an answer once it syncs
        case .handshake:
            switch name {
            case "PING":
                return .reply("+PONG\r\n")
            case "AUTH":
                guard arguments.count == 2 || arguments.count == 3, arguments.last == secret else {
                    return refuse("-WRONGPASS the relay accepts only the target it was opened for\r\n")
                }
                authenticated = true
                return .reply("+OK\r\n")
            case "REPLCONF":
                guard authenticated else { return refuse("-NOAUTH Authentication required.\r\n") }
                let words = arguments.dropFirst().map { $0.lowercased() }
                var index = words.startIndex
                while index < words.endIndex {
                    if words[index] == "capa", words.index(after: index) < words.endIndex,
                        words[words.index(after: index)] == "eof"
                    {
                        endMark = true
                    }
                    index = words.index(after: index)
                }
                return .reply("+OK\r\n")
            case "PSYNC", "SYNC":
                guard authenticated else { return refuse("-NOAUTH Authentication required.\r\n") }
                state = .syncing
                return .fullSync(endMark: endMark)
            default:
                guard authenticated else { return refuse("-NOAUTH Authentication required.\r\n") }
                return .reply("-ERR the relay only serves a replica's handshake\r\n")
            }
        }
    }

    private mutating func refuse(_ error: String) -> Action {
        state = .refused
        return .refuse(error)
    }
}
