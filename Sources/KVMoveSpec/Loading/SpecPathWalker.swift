import Foundation
import KVMoveCore

/// Expands the paths a user gave into the spec files to read.
///
/// A file is read whatever its extension; a directory is walked recursively for `*.yaml` and
/// `*.yml` files, skipping hidden files and directories, in sorted order. A file reached twice
/// is read once.
enum SpecPathWalker {
    /// One thing to read: a file, or a path that could not be used and why.
    enum Item: Equatable {
        case file(String)
        case problem(Diagnostic)
    }

    /// The files under `paths`, in the order given (each directory's files sorted).
    static func expand(_ paths: [String]) -> [Item] {
        var items: [Item] = []
        var seen: Set<String> = []
        func add(_ file: String) {
            let key = URL(fileURLWithPath: file).standardizedFileURL.path
            if seen.insert(key).inserted { items.append(.file(file)) }
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                items.append(.problem(Diagnostic(.error, "no such file or directory: \(quoted(path))")))
                continue
            }
            guard isDirectory.boolValue else {
                add(path)
                continue
            }
            let found = specFiles(in: path)
            if found.isEmpty {
                items.append(.problem(Diagnostic(.error, "no *.yaml or *.yml files found in \(quoted(path))")))
            }
            found.forEach(add)
        }
        return items
    }

    /// The `*.yaml` / `*.yml` files under `directory`, as `directory/relative/path`, sorted.
    static func specFiles(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
            let full = directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }
}
