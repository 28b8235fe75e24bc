import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The fake Alibaba Cloud (`Tests/FakeCloud/serve.py`) on a free loopback port, with its state in a scratch directory.
///
/// Every API request it answers must carry a signature the official SDK's signer agrees with. Tests seed it,
/// inject faults and read its call log through the control API under `/__fake/`. ``stop()`` shuts it down and
/// kills the `redis-server`s behind its instances.
final class FakeCloud: @unchecked Sendable {
    /// A failure of the fixture itself.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL
    let tick: Double
    private(set) var port: Int = 0
    private var process: Process?

    /// The base URL the endpoint overrides point at.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    var stateFile: URL { directory.appendingPathComponent("state.json") }

    /// Starts a fake cloud whose status changes take `tick` seconds per step.
    static func start(tick: Double = 0.1) async throws -> FakeCloud {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kvmove-fakecloud-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cloud = FakeCloud(directory: directory, tick: tick)
        try await cloud.launch()
        return cloud
    }

    private init(directory: URL, tick: Double) {
        self.directory = directory
        self.tick = tick
    }

    /// Starts the server process (again, after ``kill()``, on the same port and state file).
    func launch() async throws {
        let python = try PythonTooling.require()
        let portFile = directory.appendingPathComponent("port")
        try? FileManager.default.removeItem(at: portFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            PythonTooling.fakeCloudDirectory.appendingPathComponent("serve.py").path,
            "--state", stateFile.path, "--tick", "\(tick)", "--port", "\(port)", "--port-file", portFile.path,
        ]
        let log = directory.appendingPathComponent("fakecloud.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let value = Int(text) {
                port = value
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw Failure(description: "the fake cloud did not start: \(output.suffix(2000))")
    }

    /// Kills the server process with SIGKILL (its redis-servers keep running; ``launch()`` adopts them).
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Shuts the fake down, kills its redis-servers and removes its directory.
    ///
    /// Before that, every request it refused for not matching the official SDK (or answer of its own that
    /// did not parse with the SDK's model) since the start or the last ``resetCalls()`` is recorded as a
    /// test issue, unless the test expected them (``expectingViolations``): so every test that runs kvmove
    /// against the fake is also a contract test.
    func stop() async {
        if !expectingViolations, let violations = try? await contractViolations(), !violations.isEmpty {
            Issue.record("the fake cloud saw requests or answers the official SDK's models do not allow: \(violations)")
        }
        _ = try? await control("POST", "shutdown")
        if let process {
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
        kill()
        killLeftoverServers()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the redis-servers the state file lists (after a fake that died without shutting down).
    private func killLeftoverServers() {
        guard let data = try? Data(contentsOf: stateFile),
            let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let instances = state["instances"] as? [String: [String: Any]]
        else { return }
        for instance in instances.values {
            if let pid = instance["_pid"] as? Int, pid > 0 { Foundation.kill(pid_t(pid), SIGKILL) }
        }
    }

    /// Calls the control API (`/__fake/<path>`) with an optional JSON body and returns its JSON answer.
    @discardableResult
    func control(_ method: String, _ path: String, _ body: Any? = nil) async throws -> [String: Any] {
        let (status, data) = try await http(method, "/__fake/\(path)", body: body.map(Self.encode))
        guard status == 200, let value = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            let text = String(decoding: data, as: UTF8.self)
            throw Failure(description: "control \(method) \(path) answered \(status): \(text)")
        }
        return value
    }

    /// Sends a raw HTTP request to the fake and returns the status and body.
    func http(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws
        -> (Int, Data)
    {
        guard let url = URL(string: endpoint + path) else { throw Failure(description: "bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    private static func encode(_ value: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: value)) ?? Data()
    }

    // MARK: Reading the fake

    /// Calls per action since the start (or the last ``resetCalls()``).
    func callCounts() async throws -> [String: Int] {
        (try await control("GET", "calls")["counts"] as? [String: Int]) ?? [:]
    }

    /// The call log: one entry per API request (action, parameters with secrets redacted, status, code).
    func callLog() async throws -> [[String: Any]] {
        (try await control("GET", "calls")["log"] as? [[String: Any]]) ?? []
    }

    /// Clears the call log and counts (after recording any contract violation so far, as ``stop()`` does).
    func resetCalls() async throws {
        if !expectingViolations, let violations = try? await contractViolations(), !violations.isEmpty {
            Issue.record("the fake cloud saw requests or answers the official SDK's models do not allow: \(violations)")
        }
        try await control("DELETE", "calls")
    }

    /// Requests the fake refused because the official SDK would not send them, and answers of its own that the
    /// SDK's response models do not allow (`{"action", "messages", "kind"}`).
    func contractViolations() async throws -> [[String: Any]] {
        (try await control("GET", "calls")["contract_violations"] as? [[String: Any]]) ?? []
    }

    /// Set by a test that sends a bad request on purpose, so ``stop()`` does not count it.
    var expectingViolations = false

    /// The fake's instances, groups and the list of every instance a create action made.
    func state() async throws -> [String: Any] { try await control("GET", "state") }
}
