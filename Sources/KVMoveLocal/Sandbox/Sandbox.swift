import Foundation
import KVMoveCore
import KVMoveSecret
import KVMoveSync

/// Facts of the emulated cloud that specs and plans depend on.
package enum LocalSandbox {
    /// The oldest minor version that can run the sync channel; older instances get the upgrade step.
    package static let minimumSyncMinorVersion = "7.0.2.0"
    /// The minor version the upgrade step installs.
    package static let latestMinorVersion = "7.0.2.6"

    /// True when `version` is at least ``minimumSyncMinorVersion`` (numeric, part by part).
    package static func isSyncCapable(_ version: String) -> Bool {
        compare(version, minimumSyncMinorVersion) >= 0
    }

    /// Compares dotted version numbers part by part; -1, 0 or 1.
    package static func compare(_ a: String, _ b: String) -> Int {
        let left = a.split(separator: ".").map { Int($0) ?? 0 }
        let right = b.split(separator: ".").map { Int($0) ?? 0 }
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? left[index] : 0
            let r = index < right.count ? right[index] : 0
            if l != r { return l < r ? -1 : 1 }
        }
        return 0
    }

    /// A new cloud-style id such as `r-lc7k2m9x0q4w1e8t`.
    package static func makeId(prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return prefix + "lc" + String((0..<14).map { _ in alphabet.randomElement(using: &generator) ?? "0" })
    }
}

/// The operations the sandbox world and the local provider share: processes, workers, passwords.
package struct Sandbox: Sendable {
    package let layout: SandboxLayout
    package let store: SandboxStore
    package let worker: WorkerLauncher
    private let serverPath: String?

    /// - Parameters:
    ///   - layout: where the sandbox lives.
    ///   - worker: how to start channel workers.
    ///   - redisServer: the `redis-server` executable; found on demand when nil.
    package init(layout: SandboxLayout, worker: WorkerLauncher, redisServer: String? = nil) {
        self.layout = layout
        self.store = SandboxStore(layout: layout)
        self.worker = worker
        self.serverPath = redisServer
    }

    /// The `redis-server` to run.
    package func server() throws -> RedisServer {
        if let serverPath { return RedisServer(executable: serverPath) }
        return try RedisServer.locate()
    }

    /// The password of instance `id`, from its 0600 file.
    package func password(_ id: String) throws -> String {
        try PasswordFile.read(layout.passwordFile(id))
    }

    /// Where to reach instance `record`, with its password, and the timeouts `connection` sets (the data
    /// plane's defaults for the others).
    package func endpoint(_ record: InstanceRecord, connection: ConnectionSpec? = nil) throws -> RedisEndpoint {
        var endpoint = RedisEndpoint(port: record.port, password: Secret(try password(record.id)))
        if let seconds = connection?.commandTimeoutSeconds { endpoint.commandTimeout = .seconds(seconds) }
        if let seconds = connection?.replicationTimeoutSeconds { endpoint.replicationTimeout = .seconds(seconds) }
        return endpoint
    }

    /// The status the cloud would report for `record`: its lifecycle while it is being created,
    /// changed or released; otherwise `Normal` when the process runs and answers PING,
    /// `Unavailable` when it runs but does not answer, `Stopped` when it does not run.
    package func status(of record: InstanceRecord) async -> String {
        switch record.lifecycle {
        case .released: return "Released"
        case .creating, .changing: return record.lifecycle.rawValue
        case .normal:
            guard ProcessControl.isAlive(record.pid, as: layout.serverIdentity(record.id)) else { return "Stopped" }
            guard let password = try? password(record.id),
                (try? await InstanceProbe.ping(port: record.port, password: password)) == true
            else { return "Unavailable" }
            return "Normal"
        }
    }

    /// Starts instance `id` when its process is not running; marks it Normal with its pid.
    ///
    /// A new instance whose port was taken meanwhile gets another free port.
    package func ensureRunning(_ id: String) async throws {
        guard let record = try store.read().instance(id), record.isLive else { return }
        if ProcessControl.isAlive(record.pid, as: layout.serverIdentity(id)),
            (try? await InstanceProbe.ping(port: record.port, password: try password(id))) == true
        {
            if record.lifecycle != .normal {
                try await store.change { $0.update(instance: id) { $0.lifecycle = .normal } }
            }
            return
        }
        // A kvmove killed between starting a server and recording it leaves the server running:
        // adopt it when it answers on the recorded port, stop it otherwise.
        if let orphan = layout.recordedPid(id), ProcessControl.isAlive(orphan, as: layout.serverIdentity(id)) {
            if (try? await InstanceProbe.ping(port: record.port, password: try password(id))) == true {
                try await store.change { state in
                    state.update(instance: id) {
                        $0.pid = orphan
                        if $0.lifecycle != .released { $0.lifecycle = .normal }
                    }
                }
                return
            }
            try await ProcessControl.terminate(orphan, as: layout.serverIdentity(id), grace: .seconds(20))
        }
        let server = try server()
        var port = record.port
        for attempt in 1...5 {
            do {
                let pid = try await server.start(id: id, port: port, layout: layout)
                try await store.change { state in
                    state.update(instance: id) {
                        $0.pid = pid
                        $0.port = port
                        if $0.lifecycle != .released { $0.lifecycle = .normal }
                    }
                }
                return
            } catch let taken as PortTakenError where attempt < 5 {
                let used = Set(try store.read().instances.map(\.port))
                port = try FreePort.find(avoiding: used.union([taken.port]))
            }
        }
    }

    /// Stops instance `id`'s process (flushing its data) and forgets the pid.
    package func stopInstance(_ id: String) async throws {
        guard let record = try store.read().instance(id) else { return }
        try await ProcessControl.terminate(record.pid, as: layout.serverIdentity(id), grace: .seconds(20))
        // Also a server started by a kvmove that was killed before it recorded the pid.
        if let pid = layout.recordedPid(id), pid != record.pid {
            try await ProcessControl.terminate(pid, as: layout.serverIdentity(id), grace: .seconds(20))
        }
        try await store.change { $0.update(instance: id) { $0.pid = nil } }
    }

    /// A free port no instance of this sandbox uses.
    package func freePort() throws -> Int {
        try FreePort.find(avoiding: Set(try store.read().instances.map(\.port)))
    }

    /// Starts the channel worker of group `groupId` unless one runs; records its pid.
    ///
    /// - Returns: true when a worker was started.
    @discardableResult
    package func ensureWorker(_ groupId: String) async throws -> Bool {
        let state = try store.read()
        guard let group = state.group(groupId), let channel = group.channel else { return false }
        if ProcessControl.isAlive(channel.pid, as: layout.workerIdentity(groupId)) { return false }
        let pid = try await worker.launch(layout: layout, groupId: groupId)
        try await store.change { state in
            state.update(group: groupId) { group in
                guard group.channel != nil else { return }
                // The worker may have recorded itself already; the launcher's pid is the same process.
                group.channel?.pid = pid
                if group.channel?.phase == .failed {
                    group.channel?.phase = .initializing
                    group.channel?.message = "restarted"
                }
            }
        }
        return true
    }

    /// Stops the channel worker of group `groupId`, if one runs: SIGTERM, then SIGKILL.
    package func stopWorker(_ groupId: String) async throws {
        guard let pid = try store.read().group(groupId)?.channel?.pid else { return }
        try await ProcessControl.terminate(pid, as: layout.workerIdentity(groupId), grace: .seconds(5))
    }
}
