import KVMoveRESP
import NIOCore

/// The replica side of the replication handshake, as a state machine that returns actions.
///
/// `start()` returns the first command to send; each call of ``receive(_:)`` consumes reply lines from the
/// front of the buffer and returns what to do next: send the next command, keep waiting, or go on with the
/// stream because the source answered `PSYNC`. Bare newlines (keep-alives the source sends while it prepares
/// a snapshot) are skipped. The sequence is `AUTH` (with a password), `CLIENT SETNAME`, `PING`,
/// `REPLCONF listening-port`, `REPLCONF capa eof capa psync2`, then `PSYNC ? -1` or `PSYNC <replid> <offset+1>`.
package struct ReplicaHandshake: Sendable {
    /// What the driver does next.
    package enum Action: Sendable, Equatable {
        /// Write this command.
        case send(RESPCommand)
        /// Read more bytes.
        case wait
        /// The source starts a full sync at this position; an RDB and then the command stream follow.
        case fullResync(replicationId: String, offset: Int64)
        /// The source continues the stream after the requested offset; a new id when it changed (failover).
        case continued(replicationId: String?)
    }

    private enum Step: Sendable {
        case auth, name, ping, listeningPort, capabilities, psync, done
    }

    private let username: String?
    private let password: String?
    private let clientName: String?
    private let listeningPort: Int
    private let resume: ReplicationPosition?
    private var step: Step

    /// Creates a handshake; `resume` asks the source to continue after that position.
    package init(
        username: String? = nil, password: String? = nil, clientName: String? = nil, listeningPort: Int = 0,
        resume: ReplicationPosition? = nil
    ) {
        self.username = username
        self.password = password
        self.clientName = clientName
        self.listeningPort = listeningPort
        self.resume = resume
        step = .auth
    }

    /// The first command to send.
    package mutating func start() -> Action {
        step = .auth
        if password == nil { return advance() }
        return .send(command(for: .auth))
    }

    /// Consumes reply lines from the front of `buffer` and returns the next action.
    package mutating func receive(_ buffer: inout ByteBuffer) throws -> Action {
        while true {
            guard let line = try Self.line(&buffer) else { return .wait }
            guard let line else { continue }  // a keep-alive newline
            if line.hasPrefix("-") {
                throw ReplicationError.refused(command: name(of: step), reply: String(line.dropFirst()))
            }
            guard line.hasPrefix("+") else {
                throw ReplicationError.unexpectedReply(command: name(of: step), reply: line)
            }
            let text = line.dropFirst()
            if step == .psync {
                step = .done
                let parts = text.split(separator: " ")
                if parts.first == "FULLRESYNC", parts.count >= 3, let offset = Int64(parts[2]) {
                    return .fullResync(replicationId: String(parts[1]), offset: offset)
                }
                if parts.first == "CONTINUE" {
                    return .continued(replicationId: parts.count >= 2 ? String(parts[1]) : nil)
                }
                throw ReplicationError.unexpectedReply(command: "PSYNC", reply: line)
            }
            return advance()
        }
    }

    private mutating func advance() -> Action {
        switch step {
        case .auth: step = clientName == nil ? .ping : .name
        case .name: step = .ping
        case .ping: step = .listeningPort
        case .listeningPort: step = .capabilities
        case .capabilities: step = .psync
        case .psync, .done: return .wait
        }
        return .send(command(for: step))
    }

    private func command(for step: Step) -> RESPCommand {
        switch step {
        case .auth:
            if let username {
                return RESPCommand("AUTH", RESPArgument(username), RESPArgument(password ?? ""))
            }
            return RESPCommand("AUTH", RESPArgument(password ?? ""))
        case .name: return RESPCommand("CLIENT", "SETNAME", RESPArgument(clientName ?? ""))
        case .ping: return RESPCommand("PING")
        case .listeningPort: return RESPCommand("REPLCONF", "listening-port", RESPArgument(listeningPort))
        case .capabilities: return RESPCommand("REPLCONF", "capa", "eof", "capa", "psync2")
        case .psync, .done:
            if let resume {
                return RESPCommand("PSYNC", RESPArgument(resume.replicationId), RESPArgument(Int(resume.offset + 1)))

            }
            return RESPCommand("PSYNC", "?", "-1")
        }
    }

    private func name(of step: Step) -> String {
        switch step {
        case .auth: "AUTH"
        case .name: "CLIENT SETNAME"
        case .ping: "PING"
        case .listeningPort, .capabilities: "REPLCONF"
        case .psync, .done: "PSYNC"
        }
    }

    /// One line without its line ending: nil when incomplete, `.some(nil)` for a bare newline.
    private static func line(_ buffer: inout ByteBuffer) throws -> String?? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            guard buffer.readableBytes < 64 << 10 else {
                throw ReplicationError.unexpectedReply(command: "handshake", reply: "a reply line over 64 KiB")
            }
            return nil
        }
        let length = newline - buffer.readerIndex
        guard let bytes = buffer.readBytes(length: length + 1) else { return nil }
        var text = bytes.dropLast()
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        if text.isEmpty { return .some(nil) }
        return .some(String(decoding: text, as: UTF8.self))
    }
}
