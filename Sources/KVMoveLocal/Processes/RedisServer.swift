import Foundation
import KVMoveCore
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Starts and stops the `redis-server` processes that are the sandbox's instances.
///
/// Each server binds 127.0.0.1 on its own port, with its own config, data directory and log,
/// and daemonizes so that it outlives kvmove. The config file holds no password: the server
/// reads `requirepass` from standard input at start. Data is kept in an RDB file, saved at every graceful
/// stop, so a restart (the minor version upgrade, `sandbox up` after `down`) keeps every key and the
/// server's replication history (which a two-way group needs to continue).
package struct RedisServer: Sendable {
    /// The absolute path of the `redis-server` executable.
    package let executable: String

    package init(executable: String) {
        self.executable = executable
    }

    /// The environment variable that names the `redis-server` executable to use.
    package static let environmentVariable = "KVMOVE_REDIS_SERVER"

    /// Finds `redis-server`: `KVMOVE_REDIS_SERVER`, else the first one on `PATH`.
    package static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> RedisServer
    {
        if let path = environment[environmentVariable], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ProviderError.sandbox(
                    "RedisServerFailed", "\(environmentVariable)=\(path) is not an executable file")
            }
            return RedisServer(executable: path)
        }
        let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for directory in directories + ["/usr/local/bin", "/usr/bin", "/opt/homebrew/bin"] {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return RedisServer(executable: candidate) }
        }
        throw ProviderError.sandbox(
            "RedisServerFailed",
            "redis-server was not found on PATH; the local sandbox runs real redis-server processes. "
                + "Install it (apt-get install redis-server, or brew install redis) or set \(environmentVariable)")
    }

    /// Starts the server of instance `id` on `port` and waits until it answers PING.
    ///
    /// - Returns: the server's process id.
    /// - Throws: ``PortTakenError`` when another process holds the port.
    package func start(id: String, port: Int, layout: SandboxLayout) async throws -> Int32 {
        let password = try PasswordFile.read(layout.passwordFile(id))
        try FileManager.default.createDirectory(at: layout.dataDirectory(id), withIntermediateDirectories: true)
        try writeConfig(id: id, port: port, layout: layout)
        try? FileManager.default.removeItem(at: layout.pidFile(id))
        let logSize = (try? FileManager.default.attributesOfItem(atPath: layout.logFile(id).path)[.size] as? Int) ?? 0
        let result = try await Subprocess.run(
            .path(FilePath(executable)),
            arguments: [layout.configFile(id).path, "-"],
            input: .string("requirepass \(password)\n"),
            output: .string(limit: 64 << 10),
            error: .string(limit: 64 << 10)
        )
        guard result.terminationStatus.isSuccess else {
            let said = [result.standardOutput, result.standardError].joined(separator: "\n")
            throw ProviderError.sandbox(
                "RedisServerFailed",
                "redis-server for \(id) did not start (\(result.terminationStatus)): "
                    + Self.redact(said, password).trimmingCharacters(in: .whitespacesAndNewlines)
                    + "; see \(layout.logFile(id).path)")
        }
        let pid = try await waitForPid(id: id, layout: layout, logSize: logSize, port: port)
        try await waitReady(id: id, port: port, pid: pid, password: password, layout: layout)
        return pid
    }

    private func writeConfig(id: String, port: Int, layout: SandboxLayout) throws {
        func quoted(_ url: URL) -> String {
            "\"" + url.path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        // An RDB written at every graceful stop carries the replication id and offset, so after a restart both
        // directions of a two-way group continue; a server restarted from an append-only file starts a new
        // history, which a two-way group cannot continue. Instances created by earlier versions keep theirs.
        let keepsAppendOnlyFile = FileManager.default.fileExists(
            atPath: layout.dataDirectory(id).appendingPathComponent("appendonlydir").path)
        let persistence =
            keepsAppendOnlyFile
            ? "save \"\"\nappendonly yes\nappendfsync everysec"
            : "save 3600 1 300 100 60 10000\nappendonly no"
        let config = """
            # Written by kvmove for sandbox instance \(id).
            # The password is not here: kvmove passes requirepass on standard input at start.
            bind 127.0.0.1
            port \(port)
            protected-mode yes
            daemonize yes
            pidfile \(quoted(layout.pidFile(id)))
            logfile \(quoted(layout.logFile(id)))
            dir \(quoted(layout.dataDirectory(id)))
            databases 16
            \(persistence)
            enable-debug-command local
            # The sync channel: no delay before a snapshot, and a backlog big enough to continue after restarts.
            repl-diskless-sync-delay 0
            repl-backlog-size 256mb
            repl-timeout 120

            """
        try AtomicFile.write(Data(config.utf8), to: layout.configFile(id))
    }

    private func waitForPid(id: String, layout: SandboxLayout, logSize: Int, port: Int) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while clock.now < deadline {
            if let pid = layout.recordedPid(id), ProcessControl.isAlive(pid, as: layout.serverIdentity(id)) {
                return pid
            }
            let log = newLog(id: id, layout: layout, from: logSize)
            if log.contains("Address already in use") { throw PortTakenError(port: port) }
            if log.contains("# Failed") || log.contains("FATAL") || log.contains("Fatal error") {
                throw ProviderError.sandbox(
                    "RedisServerFailed", "redis-server for \(id) failed to start: \(lastLines(log))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = newLog(id: id, layout: layout, from: logSize)
        if log.contains("Address already in use") { throw PortTakenError(port: port) }
        throw ProviderError.sandbox(
            "RedisServerFailed",
            "redis-server for \(id) did not write its pid file within 10 s; see \(layout.logFile(id).path): "
                + lastLines(log))
    }

    private func waitReady(id: String, port: Int, pid: Int32, password: String, layout: SandboxLayout) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        var lastError = "no answer"
        while clock.now < deadline {
            guard ProcessControl.isAlive(pid, as: layout.serverIdentity(id)) else {
                throw ProviderError.sandbox(
                    "RedisServerFailed",
                    "redis-server for \(id) exited while starting; see \(layout.logFile(id).path)")
            }
            do {
                if try await InstanceProbe.ping(port: port, password: password) { return }
                lastError = "PING did not answer PONG"
            } catch {
                lastError = Self.redact("\(error)", password)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProviderError.sandbox(
            "RedisServerFailed", "redis-server for \(id) on port \(port) is not ready after 30 s (\(lastError))")
    }

    private func newLog(id: String, layout: SandboxLayout, from offset: Int) -> String {
        guard let data = try? Data(contentsOf: layout.logFile(id)), data.count > offset else { return "" }
        return String(decoding: data[offset...], as: UTF8.self)
    }

    private func lastLines(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
    }

    /// `text` with every occurrence of `secret` replaced.
    package static func redact(_ text: String, _ secret: String) -> String {
        secret.isEmpty ? text : text.replacingOccurrences(of: secret, with: "(sensitive value)")
    }
}

/// The port a new server was to use is taken by another process.
package struct PortTakenError: Error, Sendable, CustomStringConvertible {
    package var port: Int
    package var description: String { "port \(port) on 127.0.0.1 is already in use" }
}
