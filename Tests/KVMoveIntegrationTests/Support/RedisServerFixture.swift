import Foundation
import KVMoveRESP
import KVMoveSecret
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway `redis-server` on a free loopback port, with a password, no persistence and its own directory.
///
/// Use `RedisServerFixture.with { server in … }`, which stops the server and removes its directory even when
/// the body throws. Gate tests with `.enabled(if: RedisServerFixture.shouldRun)`: without `redis-server` they
/// are skipped, except when `CI=true`, where starting the fixture fails with a message that says what to install.
/// The readiness check connects as `kvmove-fixture`, so activity probes that ignore kvmove's clients ignore it too.
struct RedisServerFixture: Sendable {
    /// Why a server could not be started.
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// Certificates for a server that listens with TLS only.
    struct TLSFiles: Sendable {
        var certificateFile: String
        var keyFile: String
        var caCertificateFile: String
    }

    let port: Int
    let password: String?
    let directory: URL
    /// How clients reach this server: `.off`, or TLS trusting the fixture's CA.
    let tls: RESPConnection.TLS
    /// The extra arguments the server was started with, so ``relaunch()`` starts it the same way.
    let arguments: [String]
    private let tlsFiles: TLSFiles?
    private let processID: pid_t

    /// The `redis-server` binary: `$REDIS_SERVER`, else the first of the usual install locations that exists.
    static var executablePath: String? {
        if let path = ProcessInfo.processInfo.environment["REDIS_SERVER"], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }
        return ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether CI asked for every integration test to run.
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// True when `redis-server` exists, or when it must (CI), so the test runs and fails loudly.
    static var shouldRun: Bool { executablePath != nil || isCI }

    /// The reason shown when a test is skipped.
    static let skipReason: Comment =
        "redis-server is not installed (set REDIS_SERVER or install it; CI=true makes this a failure)"

    /// Connection settings for this server.
    func configuration(
        database: Int = 0,
        protocolVersion: Int = 2,
        maxBytesInFlight: Int = 8 << 20,
        clientName: String? = nil
    ) -> RESPConnection.Configuration {
        RESPConnection.Configuration(
            host: "127.0.0.1", port: port, password: password.map(Secret.init), database: database,
            protocolVersion: protocolVersion,
            maxBytesInFlight: maxBytesInFlight, clientName: clientName, tls: tls)
    }

    /// Opens a connection to this server.
    func connect(database: Int = 0, protocolVersion: Int = 2, clientName: String? = nil) async throws -> RESPConnection
    {
        try await RESPConnection.connect(
            configuration(database: database, protocolVersion: protocolVersion, clientName: clientName))
    }

    /// Starts a server, runs `body` with it and stops it afterwards.
    static func with<T>(
        password: String? = "fixture-\(UInt32.random(in: 0...UInt32.max))",
        arguments: [String] = [],
        tls: TLSFiles? = nil,
        _ body: (RedisServerFixture) async throws -> T
    ) async throws -> T {
        let server = try await start(password: password, arguments: arguments, tls: tls)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts a server and waits until it answers `PING`; call `stop()` when done.
    static func start(password: String?, arguments: [String] = [], tls: TLSFiles? = nil) async throws
        -> RedisServerFixture
    {
        guard let executable = executablePath else {
            throw StartError(
                description: "redis-server was not found (looked at $REDIS_SERVER, /usr/bin, /usr/local/bin, "
                    + "/opt/homebrew/bin); CI=true requires it: install the redis-server package")
        }
        var lastError: (any Error)?
        for _ in 0..<3 {  // a free port can be taken between probing and binding; try another one
            do {
                return try await launch(executable: executable, password: password, arguments: arguments, tls: tls)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? StartError(description: "redis-server did not start")
    }

    private static func launch(
        executable: String,
        password: String?,
        arguments: [String],
        tls: TLSFiles?,
        reusing previous: (port: Int, directory: URL)? = nil
    ) async throws -> RedisServerFixture {
        let port = try previous?.port ?? freePort()
        let directory =
            previous?.directory
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("kvmove-redis-\(port)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listen =
            tls.map {
                [
                    "--port", "0", "--tls-port", "\(port)", "--tls-cert-file", $0.certificateFile, "--tls-key-file",
                    $0.keyFile, "--tls-ca-cert-file", $0.caCertificateFile, "--tls-auth-clients", "no",
                ]
            } ?? ["--port", "\(port)"]
        let all =
            [executable] + listen + [
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
                "--daemonize", "no", "--enable-debug-command", "local",
            ] + (password.map { ["--requirepass", $0] } ?? []) + arguments
        let processID = try spawn(all)
        let server = RedisServerFixture(
            port: port, password: password, directory: directory,
            tls: tls.map { .on(caCertificateFile: $0.caCertificateFile) } ?? .off, arguments: arguments,
            tlsFiles: tls, processID: processID)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard server.isRunning else { break }
            if let connection = try? await server.connect(clientName: "kvmove-fixture") {
                let pong = try? await connection.send(RESPCommand("PING"))
                await connection.close()
                if pong == .simpleString("PONG") { return server }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        await server.stop(removingDirectory: previous == nil)
        throw StartError(description: "redis-server on port \(port) did not become ready: \(log.suffix(500))")
    }

    /// Whether the server process has not exited yet.
    private var isRunning: Bool {
        kill(processID, 0) == 0 && waitpid(processID, nil, WNOHANG) == 0
    }

    /// Starts the server again on the same port, in the same directory, with the same arguments, once this
    /// process has exited (after `SHUTDOWN`, or ``stop(removingDirectory:)`` with false): it loads the data
    /// files it left there. Stop the returned server, not this one.
    func relaunch() async throws -> RedisServerFixture {
        guard let executable = Self.executablePath else {
            throw StartError(description: "redis-server was not found")
        }
        return try await Self.launch(
            executable: executable, password: password, arguments: arguments, tls: tlsFiles,
            reusing: (port, directory))
    }

    /// Waits until the process has exited by itself (after `SHUTDOWN`); false when it is still running.
    func waitForExit(timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let result = waitpid(processID, &status, WNOHANG)
            if result == processID || (result == -1 && errno == ECHILD) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Freezes the process (SIGSTOP): it keeps its sockets open and answers nothing, as a stalled server does.
    ///
    /// Prefer ``whilePaused(_:)``, which resumes it in every path; ``stop(removingDirectory:)`` resumes it too.
    func pause() {
        kill(processID, SIGSTOP)
    }

    /// Lets a paused process run again (SIGCONT).
    func resume() {
        kill(processID, SIGCONT)
    }

    /// Runs `body` while the server is paused, and resumes it afterwards, also when `body` throws.
    func whilePaused<T>(_ body: () async throws -> T) async throws -> T {
        pause()
        do {
            let result = try await body()
            resume()
            return result
        } catch {
            resume()
            throw error
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory unless told to keep it.
    ///
    /// A paused server is resumed first, so that it can act on SIGTERM.
    func stop(removingDirectory: Bool = true) async {
        kill(processID, SIGCONT)
        if kill(processID, SIGTERM) == 0 {
            var status: Int32 = 0
            var waited = 0
            // Suspends between checks: a blocked thread of the small cooperative pool stalls every other test.
            while waitpid(processID, &status, WNOHANG) == 0 {
                if waited == 500 { kill(processID, SIGKILL) }
                try? await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
        }
        if removingDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    #if canImport(Glibc)
        /// Makes the spawned process close every descriptor above standard error.
        ///
        /// NIO opens its sockets without `FD_CLOEXEC`: a server spawned while another test's connection is open
        /// would hold that socket open for its whole life, so closing the connection would never reach the server
        /// it was made to (a cancelled `BLPOP`, a client that leaves, seen as still connected).
        private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            // glibc 2.34 and later (looked up at run time, as swift-subprocess does).
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { return }
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
    #endif

    /// Starts a process with default signal handling and an empty signal mask.
    ///
    /// Foundation's `Process` passes on the test runner's blocked signals, and a `redis-server` that blocks
    /// SIGTERM never stops.
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        #if canImport(Darwin)
            var attributes: posix_spawnattr_t? = nil
            var actions: posix_spawn_file_actions_t? = nil
        #else
            var attributes = posix_spawnattr_t()
            var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        #if canImport(Glibc)
            closeInheritedDescriptors(&actions)
        #endif
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var processID: pid_t = 0
        let result = posix_spawn(&processID, arguments[0], &actions, &attributes, cArguments, environ)
        guard result == 0 else {
            throw StartError(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return processID
    }

    /// Asks the kernel for a free loopback TCP port.
    private static func freePort() throws -> Int {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw StartError(description: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw StartError(description: "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw StartError(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
