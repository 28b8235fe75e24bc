// TEMPORARY stand-ins for KVMoveRESP and KVMoveSync, so this module builds and its tests run
// before the real modules land. Delete this file once they do.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - KVMoveRESP

/// Stand-in reply value.
package enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(RESPServerError)
    case integer(Int64)
    case bulkString([UInt8])
    case null
    case array([RESPValue])
    case double(Double)
    case boolean(Bool)
    case bigNumber(String)
    case verbatimString(String)
    case map([RESPValue], [RESPValue])
    case set([RESPValue])
    case push([RESPValue])

    package var string: String? {
        switch self {
        case .simpleString(let s), .verbatimString(let s), .bigNumber(let s): s
        case .bulkString(let b): String(decoding: b, as: UTF8.self)
        case .integer(let i): String(i)
        default: nil
        }
    }

    package var int: Int64? {
        switch self {
        case .integer(let i): i
        case .bulkString, .simpleString: string.flatMap { Int64($0) }
        default: nil
        }
    }

    package var array: [RESPValue]? {
        switch self {
        case .array(let a), .set(let a), .push(let a): a
        default: nil
        }
    }
}

/// Stand-in server error.
package struct RESPServerError: Error, Sendable, Equatable {
    package var code: String
    package var message: String
}

/// Stand-in argument.
package struct RESPArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    var bytes: [UInt8]
    package init(_ string: String) { bytes = Array(string.utf8) }
    package init(_ bytes: [UInt8]) { self.bytes = bytes }
    package init(_ integer: Int) { bytes = Array(String(integer).utf8) }
    package init(stringLiteral value: String) { self.init(value) }
    package init(integerLiteral value: Int) { self.init(value) }
}

/// Stand-in command.
package struct RESPCommand: Sendable {
    var parts: [[UInt8]]
    package init(_ name: String, _ arguments: RESPArgument...) { self.init(name, arguments: arguments) }
    package init(_ name: String, arguments: [RESPArgument]) {
        parts = [Array(name.utf8)] + arguments.map(\.bytes)
    }
    var encoded: [UInt8] {
        var out = Array("*\(parts.count)\r\n".utf8)
        for part in parts {
            out += Array("$\(part.count)\r\n".utf8)
            out += part
            out += [13, 10]
        }
        return out
    }
}

/// Stand-in connection error.
package enum RESPError: Error, CustomStringConvertible {
    case server(RESPServerError)
    case connection(String)
    case protocolViolation(String)
    case closed
    package var description: String {
        switch self {
        case .server(let e): "(redis) \(e.code) \(e.message)"
        case .connection(let m): "connection: \(m)"
        case .protocolViolation(let m): "protocol violation: \(m)"
        case .closed: "connection closed"
        }
    }
}

/// Stand-in blocking RESP2 connection.
package actor RESPConnection {
    package struct Configuration: Sendable {
        var host: String
        var port: Int
        var username: String?
        var password: String?
        var database: Int
        var clientName: String?
        package init(
            host: String = "127.0.0.1", port: Int, username: String? = nil, password: String? = nil,
            database: Int = 0, protocolVersion: Int = 2, maxBytesInFlight: Int = 8 << 20, clientName: String? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.clientName = clientName
        }
    }

    private var fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0

    private init(fd: Int32) { self.fd = fd }

    package static func connect(_ configuration: Configuration) async throws -> RESPConnection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RESPError.connection("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(configuration.port).bigEndian)
        inet_pton(AF_INET, configuration.host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw RESPError.connection("cannot connect to \(configuration.host):\(configuration.port)")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connection = RESPConnection(fd: fd)
        if let password = configuration.password {
            var args = [RESPArgument]()
            if let user = configuration.username { args.append(RESPArgument(user)) }
            args.append(RESPArgument(password))
            _ = try await connection.send(RESPCommand("AUTH", arguments: args))
        }
        if let name = configuration.clientName {
            _ = try await connection.send(RESPCommand("CLIENT", "SETNAME", RESPArgument(name)))
        }
        if configuration.database != 0 { try await connection.select(configuration.database) }
        return connection
    }

    package func send(_ command: RESPCommand) async throws -> RESPValue {
        let reply = try pipelineSync([command])[0]
        if case .error(let e) = reply { throw RESPError.server(e) }
        return reply
    }

    package func pipeline(_ commands: [RESPCommand]) async throws -> [RESPValue] {
        try pipelineSync(commands)
    }

    package func select(_ database: Int) async throws {
        _ = try await send(RESPCommand("SELECT", RESPArgument(database)))
    }

    package func close() async {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func pipelineSync(_ commands: [RESPCommand]) throws -> [RESPValue] {
        guard fd >= 0 else { throw RESPError.closed }
        var out: [UInt8] = []
        for command in commands { out += command.encoded }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RESPError.connection("send failed") }
            sent += n
        }
        var replies: [RESPValue] = []
        for _ in commands { replies.append(try readValue()) }
        return replies
    }

    private func fill() throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw RESPError.closed }
        buffer += chunk[0..<n]
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer[position...].firstIndex(of: 13), end + 1 < buffer.count {
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = end + 2
                return line
            }
            try fill()
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count - position < count + 2 { try fill() }
        let bytes = Array(buffer[position..<(position + count)])
        position += count + 2
        return bytes
    }

    private func readValue() throws -> RESPValue {
        let line = try readLine()
        guard let kind = line.first else { throw RESPError.protocolViolation("empty line") }
        let rest = String(line.dropFirst())
        switch kind {
        case "+": return .simpleString(rest)
        case "-":
            let code = rest.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "ERR"
            return .error(RESPServerError(code: code, message: rest))
        case ":": return .integer(Int64(rest) ?? 0)
        case "$":
            let count = Int(rest) ?? -1
            return count < 0 ? .null : .bulkString(try readBytes(count))
        case "*":
            let count = Int(rest) ?? -1
            if count < 0 { return .null }
            var items: [RESPValue] = []
            for _ in 0..<count { items.append(try readValue()) }
            return .array(items)
        default: throw RESPError.protocolViolation("unknown type \(kind)")
        }
    }
}

// MARK: - KVMoveSync

/// Stand-in endpoint.
package struct RedisEndpoint: Sendable, Codable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?
    package init(host: String = "127.0.0.1", port: Int, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }
    package var description: String { "\(host):\(port)" }
    func connect(_ db: Int = 0) async throws -> RESPConnection {
        try await RESPConnection.connect(
            .init(host: host, port: port, username: username, password: password, database: db, clientName: "kvmove"))
    }
}

/// Stand-in progress.
package struct CopyProgress: Sendable, Codable, Hashable {
    package var keysDone: Int
    package var keysTotal: Int
    package var bigKeys: Int
    package var database: Int
}

/// Stand-in report.
package struct CopyReport: Sendable, Codable, Hashable {
    package var keys: Int
    package var bigKeys: Int
    package var bytes: Int
    package var seconds: Double
    package var keysPerDatabase: [Int: Int]
}

func standinKeyspace(_ connection: RESPConnection) async throws -> [Int: Int] {
    let info = try await connection.send(RESPCommand("INFO", "keyspace")).string ?? ""
    var result: [Int: Int] = [:]
    for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("db") {
        let parts = line.split(separator: ":")
        guard parts.count == 2, let db = Int(parts[0].dropFirst(2)) else { continue }
        let keys = parts[1].split(separator: ",").first { $0.hasPrefix("keys=") }?.dropFirst(5)
        result[db] = keys.flatMap { Int($0) } ?? 0
    }
    return result
}

func standinScan(_ connection: RESPConnection) async throws -> [[UInt8]] {
    var cursor = "0"
    var keys: [[UInt8]] = []
    repeat {
        let reply = try await connection.send(RESPCommand("SCAN", RESPArgument(cursor), "COUNT", 1000))
        guard let parts = reply.array, parts.count == 2 else { break }
        cursor = parts[0].string ?? "0"
        for key in parts[1].array ?? [] { if case .bulkString(let b) = key { keys.append(b) } }
    } while cursor != "0"
    return keys
}

/// Stand-in copier.
package struct ScanCopier: Sendable {
    package struct Options: Sendable { package init() {} }
    let source: RedisEndpoint
    let target: RedisEndpoint
    package init(source: RedisEndpoint, target: RedisEndpoint, options: Options = Options()) {
        self.source = source
        self.target = target
    }
    package func run(progress: @escaping @Sendable (CopyProgress) -> Void) async throws -> CopyReport {
        let start = Date()
        let from = try await source.connect()
        let to = try await target.connect()
        let space = try await standinKeyspace(from)
        let total = space.values.reduce(0, +)
        var done = 0
        var perDB: [Int: Int] = [:]
        for db in space.keys.sorted() {
            try await from.select(db)
            try await to.select(db)
            let keys = try await standinScan(from)
            for batch in stride(from: 0, to: keys.count, by: 200) {
                let slice = keys[batch..<min(keys.count, batch + 200)]
                let replies = try await from.pipeline(
                    slice.flatMap { [RESPCommand("DUMP", RESPArgument($0)), RESPCommand("PTTL", RESPArgument($0))] })
                var restores: [RESPCommand] = []
                for (i, key) in slice.enumerated() {
                    guard case .bulkString(let payload) = replies[2 * i] else { continue }
                    let ttl = max(0, Int(replies[2 * i + 1].int ?? 0))
                    restores.append(
                        RESPCommand(
                            "RESTORE", RESPArgument(key), RESPArgument(ttl), RESPArgument(payload), "REPLACE"))
                }
                _ = try await to.pipeline(restores)
                done += slice.count
                perDB[db, default: 0] += slice.count
                progress(CopyProgress(keysDone: done, keysTotal: total, bigKeys: 0, database: db))
            }
        }
        await from.close()
        await to.close()
        return CopyReport(
            keys: done, bigKeys: 0, bytes: 0, seconds: Date().timeIntervalSince(start), keysPerDatabase: perDB)
    }
}

/// Stand-in verification report.
package struct VerificationReport: Sendable, Codable, Hashable {
    package struct Mismatch: Sendable, Codable, Hashable {
        package var database: Int
        package var key: String
        package var kind: String
    }
    package var passed: Bool
    package var keysChecked: Int
    package var mismatches: [Mismatch]
    package var mismatchCount: Int
    package var summary: String
}

/// Stand-in verifier.
package struct Verifier: Sendable {
    package struct Options: Sendable { package init() {} }
    let source: RedisEndpoint
    let target: RedisEndpoint
    package init(source: RedisEndpoint, target: RedisEndpoint, options: Options = Options()) {
        self.source = source
        self.target = target
    }
    package func run(progress: @escaping @Sendable (_ keysDone: Int, _ keysTotal: Int) -> Void) async throws
        -> VerificationReport
    {
        let a = try await source.connect()
        let b = try await target.connect()
        let spaceA = try await standinKeyspace(a)
        let spaceB = try await standinKeyspace(b)
        let total = spaceA.values.reduce(0, +)
        var checked = 0
        var mismatches: [VerificationReport.Mismatch] = []
        for db in Set(spaceA.keys).union(spaceB.keys).sorted() {
            try await a.select(db)
            try await b.select(db)
            let keys = try await standinScan(a)
            for batch in stride(from: 0, to: keys.count, by: 200) {
                let slice = Array(keys[batch..<min(keys.count, batch + 200)])
                let commands = slice.map { RESPCommand("DEBUG", "DIGEST-VALUE", RESPArgument($0)) }
                let left = try await a.pipeline(commands)
                let right = try await b.pipeline(commands)
                for i in slice.indices where left[i] != right[i] {
                    let kind = right[i].array?.first == .null ? "missing" : "value"
                    mismatches.append(.init(database: db, key: String(decoding: slice[i], as: UTF8.self), kind: kind))
                }
                checked += slice.count
                progress(checked, total)
            }
            for key in try await standinScan(b) {
                if try await a.send(RESPCommand("EXISTS", RESPArgument(key))).int == 0 {
                    mismatches.append(.init(database: db, key: String(decoding: key, as: UTF8.self), kind: "extra"))
                }
            }
        }
        await a.close()
        await b.close()
        let summary =
            mismatches.isEmpty
            ? "\(checked) keys match in \(spaceA.count) db\(spaceA.count == 1 ? "" : "s")"
            : "\(mismatches.count) of \(checked) keys differ"
        return VerificationReport(
            passed: mismatches.isEmpty, keysChecked: checked, mismatches: mismatches,
            mismatchCount: mismatches.count, summary: summary)
    }
}

/// Stand-in client activity.
package struct ClientActivity: Sendable, Hashable {
    package var otherClients: [String]
    package var commandsProcessed: Int
}

/// Stand-in activity probe.
package struct ActivityProbe: Sendable {
    let endpoint: RedisEndpoint
    let prefix: String
    package init(endpoint: RedisEndpoint, ignoringClientsNamed prefix: String = "kvmove") {
        self.endpoint = endpoint
        self.prefix = prefix
    }
    package func sample() async throws -> ClientActivity {
        let connection = try await endpoint.connect()
        defer { Task { await connection.close() } }
        let list = try await connection.send(RESPCommand("CLIENT", "LIST")).string ?? ""
        let others = list.split(whereSeparator: \.isNewline).filter { line in
            let name = line.split(separator: " ").first { $0.hasPrefix("name=") }?.dropFirst(5) ?? ""
            return !name.hasPrefix(prefix)
        }.map { line in
            line.split(separator: " ").filter { $0.hasPrefix("addr=") || $0.hasPrefix("name=") || $0.hasPrefix("cmd=") }
                .joined(separator: " ")
        }
        let stats = try await connection.send(RESPCommand("INFO", "stats")).string ?? ""
        let processed =
            stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("total_commands_processed:") }
            .flatMap { Int($0.split(separator: ":")[1]) } ?? 0
        return ClientActivity(otherClients: others, commandsProcessed: processed)
    }
}
