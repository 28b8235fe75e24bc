import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// Records every command a server receives (`MONITOR`), as argument lists, until ``stop()``.
///
/// Start it after seeding, so it sees only what the code under test sends. ``stop()`` sends a sentinel
/// `ECHO` and waits for it, so every command sent before is in the record.
final class MonitorRecorder: Sendable {
    static let sentinel = "__monitor_end__"

    private let lines = Mutex<[String]>([])
    private let ready = Mutex(false)
    private let server: RedisServerFixture
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

    private init(server: RedisServerFixture) { self.server = server }

    /// Starts recording on `server` and returns once `MONITOR` is in effect.
    static func start(_ server: RedisServerFixture) async throws -> MonitorRecorder {
        let recorder = MonitorRecorder(server: server)
        let configuration = server.configuration()
        let password = server.password
        let task = Task {
            try await RESPStreamConnection.with(configuration) { stream in
                var commands: [RESPCommand] = []
                if let password { commands.append(RESPCommand("AUTH", RESPArgument(password))) }
                commands.append(RESPCommand("MONITOR"))
                try await stream.write(commands)
                var okays = 0
                var decoder = RESPReplyDecoder()
                var buffer = ByteBuffer()
                for try await chunk in stream.inbound {
                    var chunk = chunk
                    buffer.writeBuffer(&chunk)
                    while let value = try decoder.next(from: &buffer) {
                        guard let text = value.string else { continue }
                        if okays < commands.count {
                            okays += 1
                            if okays == commands.count { recorder.ready.withLock { $0 = true } }
                            continue
                        }
                        recorder.lines.withLock { $0.append(text) }
                    }
                }
            }
        }
        recorder.task.withLock { $0 = task }
        let deadline = ContinuousClock.now + .seconds(60)
        while !recorder.ready.withLock({ $0 }) {
            guard ContinuousClock.now < deadline else { throw RedisServerFixture.StartError(description: "no MONITOR") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return recorder
    }

    /// Stops recording and returns every command seen (the sentinel left out), each as its arguments.
    func stop() async throws -> [[String]] {
        let connection = try await server.connect()
        _ = try await connection.send(RESPCommand("ECHO", RESPArgument(Self.sentinel)))
        await connection.close()
        let deadline = ContinuousClock.now + .seconds(60)
        while !lines.withLock({ $0.contains { $0.contains(Self.sentinel) } }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        if !lines.withLock({ $0.contains { $0.contains(Self.sentinel) } }) {
            Issue.record("MONITOR did not show the sentinel within 60 s: the record may be incomplete")
        }
        task.withLock { $0?.cancel() }
        return lines.withLock { $0 }.compactMap(Self.arguments).filter { !($0.count == 2 && $0[1] == Self.sentinel) }
    }

    /// The arguments of a `MONITOR` line: `1700000000.123456 [0 127.0.0.1:5000] "HSCAN" "key" "0"`.
    static func arguments(_ line: String) -> [String]? {
        guard let bracket = line.range(of: "] ") else { return nil }
        var arguments: [String] = []
        var current: [UInt8] = []
        var inside = false
        var bytes = Array(line[bracket.upperBound...].utf8)[...]
        while let byte = bytes.popFirst() {
            if !inside {
                if byte == UInt8(ascii: "\"") { inside = true }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                arguments.append(String(decoding: current, as: UTF8.self))
                current = []
                inside = false
            case UInt8(ascii: "\\"):
                guard let escaped = bytes.popFirst() else { return nil }
                switch escaped {
                case UInt8(ascii: "n"): current.append(0x0A)
                case UInt8(ascii: "r"): current.append(0x0D)
                case UInt8(ascii: "t"): current.append(0x09)
                case UInt8(ascii: "a"): current.append(0x07)
                case UInt8(ascii: "b"): current.append(0x08)
                case UInt8(ascii: "x"):
                    let hex = String(decoding: [bytes.popFirst() ?? 0, bytes.popFirst() ?? 0], as: UTF8.self)
                    current.append(UInt8(hex, radix: 16) ?? 0)
                default: current.append(escaped)
                }
            default:
                current.append(byte)
            }
        }
        return arguments
    }
}
