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
