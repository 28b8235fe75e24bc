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
