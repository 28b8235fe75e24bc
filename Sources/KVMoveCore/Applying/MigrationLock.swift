import Foundation

/// Who holds a migration's lock.
package struct LockInfo: Codable, Hashable, Sendable {
    package var id: String
    package var migration: String
    package var who: String
    package var host: String
    package var pid: Int32
    package var operation: String
    package var created: String

    package init(migration: String, operation: String, created: String) {
        self.id = UUID().uuidString.lowercased()
        self.migration = migration
        self.who = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        self.host = ProcessInfo.processInfo.hostName
        self.pid = ProcessInfo.processInfo.processIdentifier
        self.operation = operation
        self.created = created
    }

    /// `root@host, pid 123, apply, since 2026-11-24T17:00:00Z`.
    package var summary: String { "\(who)@\(host), pid \(pid), \(operation), since \(created)" }

    /// True when the holder ran on this host and its process is gone.
    package var isStale: Bool {
        host == ProcessInfo.processInfo.hostName && kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// A lock per migration, one file each under `<state>/locks/`, created exclusively.
package struct LockStore: Sendable {
    package let directory: URL

    package init(directory: URL) {
        self.directory = directory
    }

    package func file(for migration: String) -> URL {
        directory.appendingPathComponent("\(migration).lock")
    }

    /// Takes the lock or throws ``LockError/held(_:)`` naming the holder.
    package func acquire(_ info: LockInfo) throws(LockError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(directory.path): \(error.localizedDescription)")
        }
        let url = file(for: info.migration)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if fd < 0 {
            if errno == EEXIST {
                throw .held(holder(of: info.migration), migration: info.migration)
            }
            throw .io("cannot create lock \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = (try? encoder.encode(info)) ?? Data()
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
    }

    /// Releases a lock this process holds (matched by id).
    package func release(_ info: LockInfo) {
        if holder(of: info.migration)?.id == info.id {
            try? FileManager.default.removeItem(at: file(for: info.migration))
        }
    }

    /// The current holder, if the lock file exists and is readable.
    package func holder(of migration: String) -> LockInfo? {
        guard let data = try? Data(contentsOf: file(for: migration)) else { return nil }
        return try? JSONDecoder().decode(LockInfo.self, from: data)
    }

    /// Removes a lock whoever holds it; returns the removed holder.
    @discardableResult
    package func forceUnlock(_ migration: String) throws(LockError) -> LockInfo? {
        let url = file(for: migration)
        guard FileManager.default.fileExists(atPath: url.path) else { throw .notLocked(migration) }
        let holder = holder(of: migration)
        do { try FileManager.default.removeItem(at: url) } catch { throw .io(error.localizedDescription) }
        return holder
    }
}

/// Lock failures.
package enum LockError: Error, Sendable, CustomStringConvertible {
    case held(LockInfo?, migration: String)
    case notLocked(String)
    case io(String)

    package var description: String {
        switch self {
        case .held(let info?, let migration):
            let stale = info.isStale ? " The holder's process is gone, so the lock is stale." : ""
            return
                "migration \"\(migration)\" is locked by another apply (\(info.summary), lock id \(info.id)).\(stale) "
                + "If no apply is running for it, run: kvmove unlock \(migration)"
        case .held(nil, let migration):
            return "migration \"\(migration)\" is locked (the lock file is unreadable). "
                + "If no apply is running for it, run: kvmove unlock \(migration)"
        case .notLocked(let migration):
            return "migration \"\(migration)\" is not locked"
        case .io(let message):
            return message
        }
    }
}
