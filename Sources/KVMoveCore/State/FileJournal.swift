import Foundation
import Synchronization

/// The journal as a file per migration: `<directory>/<migration>.jsonl`, one JSON object per line,
/// fsynced after every entry.
///
/// Appends are synchronous and serialized, so entries land in the order they happen even when
/// several migrations write at once.
package final class FileJournal: JournalStore {
    private let directory: URL
    private let writing = Mutex(())

    /// Creates a journal writer under `directory` (created on first write).
    package init(directory: URL) {
        self.directory = directory
    }

    /// `<directory>/<migration>.jsonl`.
    package func location(of migration: String) -> String { file(for: migration).path }

    /// The file of one migration.
    package func file(for migration: String) -> URL {
        directory.appendingPathComponent("\(migration).jsonl")
    }

    /// Appends `entry` to its migration's file.
    package func append(_ entry: JournalEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(entry)
        data.append(0x0A)
        try writing.withLock { _ in
            try write(data, to: file(for: entry.migration))
        }
    }

    private func write(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    /// Reads every entry of one migration, oldest first; a torn last line is ignored.
    package func entries(for migration: String) throws -> [JournalEntry] {
        let url = file(for: migration)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text = try String(contentsOf: url, encoding: .utf8)
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { line in
            try? decoder.decode(JournalEntry.self, from: Data(line.utf8))
        }
    }
}
