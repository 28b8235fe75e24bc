import Foundation
import KVMoveSync

/// The channel worker's checkpoint file, `groups/<id>/checkpoint.json`: the position applied to the target.
///
/// The target's own checkpoint key (written in the same transaction as the writes it covers) decides where
/// the channel continues; this file is the group's durable record of it, written atomically after the
/// target acknowledged, for status and for people. It never runs ahead of the target.
package struct ChannelCheckpoint: Codable, Hashable, Sendable {
    package var position: ReplicationPosition
    /// The channel's phase when it was written.
    package var phase: String
    /// When it was written, ISO 8601.
    package var savedAt: String

    package init(position: ReplicationPosition, phase: String, savedAt: String) {
        self.position = position
        self.phase = phase
        self.savedAt = savedAt
    }

    /// Writes the file atomically.
    package func write(to url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }

    /// Reads the file; nil when there is none.
    package static func read(from url: URL) -> ChannelCheckpoint? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(ChannelCheckpoint.self, from: data)
    }
}
