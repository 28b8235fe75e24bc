import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync

// kvmove-bench: copy and verify throughput of the sync channel against native replication.
//
// Starts two redis-server processes on loopback, fills the source with `DEBUG POPULATE`
// (N string keys of B-byte values), then measures, in the same run:
//   1. kvmove's scan copier (SCAN + DUMP + PTTL → RESTORE … ABSTTL), source → empty target;
//   2. kvmove's verifier (both ways, every key);
//   3. native `REPLICAOF` full sync of the same data into the emptied target.
// kvmove's own peak memory is read from /proc/self/status (VmHWM), reset before each phase.
//
// Usage: kvmove-bench [--keys N] [--value-bytes B] [--markdown]

struct Arguments {
    var keys = 1_000_000
    var valueBytes = 100
    var markdown = false

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--keys": keys = Int(iterator.next() ?? "") ?? keys
            case "--value-bytes": valueBytes = Int(iterator.next() ?? "") ?? valueBytes
            case "--markdown": markdown = true
            default:
                FileHandle.standardError.write(
                    Data("usage: kvmove-bench [--keys N] [--value-bytes B] [--markdown]\n".utf8))
                exit(64)
            }
        }
    }
}

/// A redis-server started for the benchmark, stopped at the end.
final class Server: @unchecked Sendable {
    let port: Int
    let password: String
    let process: Process
    let directory: URL

    init(name: String, root: URL) throws {
        port = try Server.freePort()
        password = "bench-\(UUID().uuidString)"
        directory = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Server.redisServerPath())
        process.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--requirepass", password,
            "--save", "", "--appendonly", "no", "--dir", directory.path, "--enable-debug-command", "local",
            "--repl-diskless-sync-delay", "0", "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        try process.run()
    }

    var endpoint: RedisEndpoint { RedisEndpoint(port: port, password: Secret(password)) }

    func connect() async throws -> RESPConnection {
        for _ in 0..<100 {
            if let connection = try? await RESPConnection.connect(
                .init(port: port, password: Secret(password), clientName: "kvmove-bench"))
            {
                return connection
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RESPError.connection("redis-server on port \(port) did not start; see \(directory.path)/redis.log")
    }

    /// Stops the server with SHUTDOWN NOSAVE (a server started from a process with blocked signals may
    /// ignore SIGTERM), falling back to SIGKILL.
    func stop() async {
        if let connection = try? await RESPConnection.connect(.init(port: port, password: Secret(password))) {
            _ = try? await connection.send(RESPCommand("SHUTDOWN", "NOSAVE"))
            await connection.close()
        }
        for _ in 0..<50 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func redisServerPath() -> String {
        for candidate in ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "redis-server"
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Peak resident memory of this process, in MiB (VmHWM), and a way to reset it.
enum Memory {
    static func peakMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kib / 1024
    }

    static func resetPeak() {
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}

func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double, Double) {
    Memory.resetPeak()
    let start = ContinuousClock.now
    let value = try await body()
    let elapsed = start.duration(to: .now)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (value, seconds, Memory.peakMiB())
}

func info(_ connection: RESPConnection, _ section: String) async throws -> [String: String] {
    let text = try await connection.send(RESPCommand("INFO", RESPArgument(section))).string ?? ""
    var fields: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
    }
    return fields
}

let arguments = Arguments()
let root = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-bench-\(UUID().uuidString)")
let source = try Server(name: "source", root: root)
let target = try Server(name: "target", root: root)
func stopServers() async {
    await source.stop()
    await target.stop()
    try? FileManager.default.removeItem(at: root)
}

let sourceConnection = try await source.connect()
let targetConnection = try await target.connect()
FileHandle.standardError.write(Data("populating \(arguments.keys) keys of \(arguments.valueBytes) bytes…\n".utf8))
_ = try await sourceConnection.send(
    RESPCommand("DEBUG", "POPULATE", RESPArgument(arguments.keys), "key", RESPArgument(arguments.valueBytes)))
let baseline = Memory.peakMiB()

FileHandle.standardError.write(Data("kvmove copy…\n".utf8))
let (copy, copySeconds, copyPeak) = try await measure {
    try await ScanCopier(source: source.endpoint, target: target.endpoint).run { _ in }
}
let targetKeys = try await targetConnection.send(RESPCommand("DBSIZE")).int ?? -1
guard targetKeys == arguments.keys else {
    FileHandle.standardError.write(Data("copy incomplete: target has \(targetKeys) keys\n".utf8))
    await stopServers()
    exit(1)
}

FileHandle.standardError.write(Data("kvmove verify…\n".utf8))
let (report, verifySeconds, verifyPeak) = try await measure {
    try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
}
guard report.passed else {
    FileHandle.standardError.write(Data("verification failed: \(report.summary)\n".utf8))
    await stopServers()
    exit(1)
}

FileHandle.standardError.write(Data("native REPLICAOF full sync…\n".utf8))
_ = try await targetConnection.send(RESPCommand("FLUSHALL"))
_ = try await targetConnection.send(RESPCommand("CONFIG", "SET", "masterauth", RESPArgument(source.password)))
let nativeStart = ContinuousClock.now
_ = try await targetConnection.send(RESPCommand("REPLICAOF", "127.0.0.1", RESPArgument(source.port)))
while true {
    let replication = try await info(targetConnection, "replication")
    if replication["master_link_status"] == "up", replication["master_sync_in_progress"] == "0" { break }
    try await Task.sleep(for: .milliseconds(20))
}
let nativeElapsed = nativeStart.duration(to: .now)
let nativeSeconds = Double(nativeElapsed.components.seconds) + Double(nativeElapsed.components.attoseconds) / 1e18
let replicated = try await targetConnection.send(RESPCommand("DBSIZE")).int ?? -1
_ = try await targetConnection.send(RESPCommand("REPLICAOF", "NO", "ONE"))
await sourceConnection.close()
await targetConnection.close()
await stopServers()

let keys = Double(arguments.keys)
let copyRate = keys / copySeconds
let verifyRate = keys / verifySeconds
let nativeRate = keys / nativeSeconds
let cores = ProcessInfo.processInfo.activeProcessorCount
func f(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

if arguments.markdown {
    print("| phase | keys | seconds | keys/s | kvmove peak RSS (MiB) |")
    print("|---|---|---|---|---|")
    print(
        "| kvmove copy (scan + DUMP/RESTORE) | \(arguments.keys) | \(f(copySeconds, 2)) | \(f(copyRate)) | \(f(copyPeak, 1)) |"
    )
    print(
        "| kvmove verify (both ways) | \(report.keysChecked) | \(f(verifySeconds, 2)) | \(f(verifyRate)) | \(f(verifyPeak, 1)) |"
    )
    print("| native REPLICAOF full sync | \(replicated) | \(f(nativeSeconds, 2)) | \(f(nativeRate)) | — |")
    print("")
    print(
        "copy / native = \(f(copyRate / nativeRate, 2)); \(cores) cores; \(arguments.valueBytes)-byte values; "
            + "baseline RSS before copying \(f(baseline, 1)) MiB")
} else {
    print("keys \(arguments.keys) × \(arguments.valueBytes) B, \(cores) cores")
    print(
        "kvmove copy:    \(f(copySeconds, 2)) s  \(f(copyRate)) keys/s  peak RSS \(f(copyPeak, 1)) MiB (\(copy.keys) keys, \(copy.bigKeys) big)"
    )
    print(
        "kvmove verify:  \(f(verifySeconds, 2)) s  \(f(verifyRate)) keys/s  peak RSS \(f(verifyPeak, 1)) MiB (\(report.summary))"
    )
    print("native sync:    \(f(nativeSeconds, 2)) s  \(f(nativeRate)) keys/s  (\(replicated) keys)")
    print("copy / native:  \(f(copyRate / nativeRate, 2))")
}
