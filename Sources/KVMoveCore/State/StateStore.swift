import Foundation

/// Where apply keeps its journal: one append-only log per migration.
///
/// The file backend is the default; a shared backend (what teams running apply from CI runners
/// need, like Terraform's remote state) implements the same two calls.
package protocol JournalStore: Sendable {
    /// Appends `entry` to its migration's log, durably, before returning.
    func append(_ entry: JournalEntry) throws
    /// Every entry of one migration, oldest first.
    func entries(for migration: String) throws -> [JournalEntry]
    /// Where a migration's log is, for messages (a path or a URL).
    func location(of migration: String) -> String
}

/// Where apply takes its per-migration locks: one apply per migration at a time.
package protocol LockStore: Sendable {
    /// Takes the lock or throws ``LockError/held(_:migration:)`` naming the holder.
    func acquire(_ info: LockInfo) throws(LockError)
    /// Releases a lock this process holds (matched by id).
    ///
    /// - Throws: ``LockError/io(_:)`` when the lock is still there afterwards, saying how to remove it.
    func release(_ info: LockInfo) throws(LockError)
    /// The current holder, if any.
    func holder(of migration: String) -> LockInfo?
    /// Removes a lock whoever holds it; returns the removed holder.
    @discardableResult
    func forceUnlock(_ migration: String) throws(LockError) -> LockInfo?
}

/// The journal and the locks of one state location.
package struct StateStore: Sendable {
    package var journal: any JournalStore
    package var locks: any LockStore

    package init(journal: any JournalStore, locks: any LockStore) {
        self.journal = journal
        self.locks = locks
    }

    /// The default backend: files under a state directory (`journal/`, `locks/`).
    package static func files(at directory: URL) -> StateStore {
        StateStore(
            journal: FileJournal(directory: directory.appendingPathComponent("journal")),
            locks: FileLockStore(directory: directory.appendingPathComponent("locks")))
    }
}
