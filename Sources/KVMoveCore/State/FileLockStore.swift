import Foundation

/// Locks as files, one per migration under `<state>/locks/`, created exclusively (`O_EXCL`).
package struct FileLockStore: LockStore {
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
