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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // A lock file that does not hold its holder could never be released (release matches the holder's id):
        // one that cannot be written whole is removed again and the apply does not start.
        let data = (try? encoder.encode(info)) ?? Data()
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        let problem = String(cString: strerror(errno))
        close(fd)
        guard !data.isEmpty, written == data.count, synced else {
            unlink(url.path)
            throw .io(
                "cannot write lock \(url.path) (\(problem)); check the state directory (space, permissions), then run "
                    + "apply again")
        }
    }

    /// Releases a lock this process holds (matched by id).
    package func release(_ info: LockInfo) throws(LockError) {
        guard holder(of: info.migration)?.id == info.id else { return }
        let url = file(for: info.migration)
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw .io(
                "the lock \(url.path) could not be removed (\(error.localizedDescription)); remove it with: "
                    + "kvmove unlock \(info.migration)")
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
