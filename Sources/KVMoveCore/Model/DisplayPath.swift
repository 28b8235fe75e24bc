import Foundation

/// Paths as messages show them.
package enum DisplayPath {
    /// `path` relative to the current directory when it is inside it, else as is.
    package static func relative(_ path: String) -> String {
        let current = FileManager.default.currentDirectoryPath
        let prefix = current.hasSuffix("/") ? current : current + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
