/// Where a replica is in a source's replication stream: what a checkpoint holds.
///
/// `offset` is the source's replication offset of the last byte applied to the target, so a replica
/// continues with `PSYNC <replid> <offset + 1>`; `database` is the database selected at that point, because a
/// continued stream does not select it again.
package struct ReplicationPosition: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The source's replication id (40 hex characters).
    package var replicationId: String
    /// The replication offset of the last byte applied.
    package var offset: Int64
    /// The database selected after that byte.
    package var database: Int

    /// Creates a position.
    package init(replicationId: String, offset: Int64, database: Int) {
        self.replicationId = replicationId
        self.offset = offset
        self.database = database
    }

    package var description: String { "\(replicationId):\(offset) db \(database)" }

    /// The text form kept in the target's checkpoint key: `<replid> <offset> <db>`.
    package var markerText: String { "\(replicationId) \(offset) \(database)" }

    /// Parses ``markerText``.
    package init?(markerText: String) {
        let parts = markerText.split(separator: " ")
        guard parts.count == 3, parts[0].count == 40, let offset = Int64(parts[1]), let database = Int(parts[2]),
            offset >= 0, database >= 0
        else { return nil }
        self.init(replicationId: String(parts[0]), offset: offset, database: database)
    }
}
