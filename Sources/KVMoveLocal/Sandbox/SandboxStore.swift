import Foundation
import KVMoveCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and changes `state.json` safely while the CLI and channel workers share it.
///
/// Every change takes an exclusive `flock` on `state.lock`, reads the newest state, applies the
/// change and writes it atomically: a temporary file is written and fsynced, then renamed over
/// `state.json`, and the directory is fsynced. A process killed at any point leaves either the
/// old or the new state; a torn temporary file is never read. Reads take no lock and write
/// nothing, so observing (and dry-run) leaves the sandbox byte-for-byte unchanged.
package struct SandboxStore: Sendable {
    package let layout: SandboxLayout

    package init(layout: SandboxLayout) {
        self.layout = layout
    }

    /// True when the sandbox has a state file.
    package var exists: Bool { FileManager.default.fileExists(atPath: layout.stateFile.path) }

    /// The current state; an empty state when the sandbox was never created.
    package func read() throws -> SandboxState {
        let data: Data
        do {
            data = try Data(contentsOf: layout.stateFile)
        } catch CocoaError.fileReadNoSuchFile {
            return SandboxState()
        } catch {
            if !exists { return SandboxState() }
            throw ProviderError.sandbox(
                "StateUnreadable", "cannot read \(layout.stateFile.path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(SandboxState.self, from: data)
        } catch {
            throw ProviderError.sandbox(
                "StateUnreadable",
                "\(layout.stateFile.path) is not a sandbox state file (\(error)); "
                    + "run kvmove sandbox down --purge to start over")
        }
    }

    /// Applies `change` to the newest state under the lock and persists the result.
    @discardableResult
    package func change<T>(_ change: (inout SandboxState) throws -> T) async throws -> T {
        try FileManager.default.createDirectory(at: layout.root, withIntermediateDirectories: true)
        let lock = try await FileLock.acquire(layout.lockFile)
        defer { lock.release() }
        var state = try read()
        let before = state
        let result = try change(&state)
        if state != before || !exists { try write(state) }
        return result
    }

    private func write(_ state: SandboxState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state)
        try AtomicFile.write(data, to: layout.stateFile)
    }
}

/// Writes files so that a crash leaves either the old or the new content.
package enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, fsyncs it, renames it over `url` and
    /// fsyncs the directory.
    package static func write(_ data: Data, to url: URL, mode: mode_t = 0o644) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else {
            throw ProviderError.sandbox("StateNotWritten", "cannot write \(temporary.path): \(errnoText())")
        }
        var failure: String?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if let failure { throw ProviderError.sandbox("StateNotWritten", "cannot write \(temporary.path): \(failure)") }
        guard rename(temporary.path, url.path) == 0 else {
            throw ProviderError.sandbox("StateNotWritten", "cannot replace \(url.path): \(errnoText())")
        }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}

/// An exclusive `flock` on a lock file, held until released (or until the process dies).
package struct FileLock: Sendable {
    private let fd: Int32

    /// How long ``acquire(_:)`` waits for another holder before giving up.
    package static let giveUpAfter: Duration = .seconds(60)

    /// Waits for the lock without blocking a thread of the cooperative pool, for at most
    /// ``giveUpAfter``; a cancelled task stops waiting at once.
    package static func acquire(_ url: URL) async throws -> FileLock {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProviderError.sandbox("StateLocked", "cannot open \(url.path): \(errnoText())") }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: giveUpAfter)
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let text = errnoText()
                close(fd)
                throw ProviderError.sandbox("StateLocked", "cannot lock \(url.path): \(text)")
            }
            if clock.now >= deadline {
                close(fd)
                throw ProviderError.sandbox(
                    "StateLocked", "\(url.path) stayed locked for over a minute; is a kvmove process stuck?")
            }
            tries += 1
            do {
                try await Task.sleep(for: .milliseconds(tries < 100 ? 1 : 5))
            } catch {
                close(fd)
                throw error
            }
        }
        return FileLock(fd: fd)
    }

    /// Releases the lock.
    package func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension ProviderError {
    /// An operational failure of the sandbox: source `local`, with a stable code.
    package static func sandbox(_ code: String, _ message: String) -> ProviderError {
        ProviderError(source: .local, code: code, message: message)
    }
}

/// `write(2)`, named so it does not clash with methods called `write`.
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
    #else
        Darwin.write(fd, buffer, count)
    #endif
}

/// The text of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }
