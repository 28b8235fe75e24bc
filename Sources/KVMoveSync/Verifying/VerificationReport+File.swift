import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension VerificationReport {
    /// Writes the report as JSON to `<directory>/<migration>-verify-<UTC stamp>.json` and returns the file.
    ///
    /// Every provider writes reports this way: pretty-printed JSON with sorted keys, written to a temporary
    /// file beside the report, flushed to disk and renamed over it, so a crash leaves no half report. The
    /// directory is created when missing. The stamp is `20260102T030405Z` (UTC, safe in file names).
    package func write(toDirectory directory: URL, migration: String, date: Date = Date()) throws -> URL {
        let file = directory.appendingPathComponent("\(migration)-verify-\(Self.fileStamp(date)).json")
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).tmp")
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(self)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try data.write(to: temporary)
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.synchronize()
            guard rename(temporary.path, file.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw SyncError.reportNotWritten(path: file.path, reason: reason)
            }
        } catch let error as SyncError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SyncError.reportNotWritten(path: file.path, reason: error.localizedDescription)
        }
        return file
    }

    /// `20260102T030405Z`: a UTC timestamp that is safe in file names.
    package static func fileStamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(c.year ?? 0)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }
}
