import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync

/// A redis-server started for the benchmark, stopped at the end.
final class Server: @unchecked Sendable {
    let port: Int
    let password: String
    let process: Process
    let directory: URL

    init(name: String, root: URL, extraArguments: [String] = []) throws {
        port = try Server.freePort()
        password = "bench-\(UUID().uuidString)"
        directory = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Server.redisServerPath())
        process.arguments =
            [
                "--port", "\(port)", "--bind", "127.0.0.1", "--requirepass", password,
                "--save", "", "--appendonly", "no", "--dir", directory.path, "--enable-debug-command", "local",
                "--repl-diskless-sync-delay", "0", "--logfile", directory.appendingPathComponent("redis.log").path,
            ] + extraArguments
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
        // The heap earlier phases grew and freed goes back first: a sandbox worker runs one channel per
        // process, so what it peaks at is one channel's memory, not what this process kept from the last.
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}

func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double, Double) {
    Memory.resetPeak()
    let start = ContinuousClock.now
    let value = try await body()
    return (value, seconds(start.duration(to: .now)), Memory.peakMiB())
}

/// Seconds in a duration.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A monotonic clock reading in nanoseconds, comparable across tasks of this process.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// The median of some values.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// The value at a fraction of sorted samples (0.99 for p99).
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
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
