import Foundation
import KVMoveCore
import KVMoveSpec

/// Finds the test fixtures and the repository's files, and renders load results for comparison.
enum FixtureFiles {
    /// The copied `Fixtures` folder inside the test bundle.
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures folder missing from the test bundle")
        }
        return url
    }

    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // KVMoveSpecTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The names of the bad specs (`bad/NAME.yaml`), sorted.
    static var badNames: [String] {
        let directory = root.appendingPathComponent("bad")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Loads `bad/NAME.yaml` and renders every diagnostic, with the file named `bad/NAME.yaml`.
    ///
    /// The file is read from the bundle by its full path (so the byte-level checks run), and the
    /// bundle's folder is then removed from the output so expectations hold no machine paths.
    static func renderBad(_ name: String, environment: [String: String] = [:]) -> String {
        let prefix = root.path + "/"
        let result = SpecLoader(environment: environment).load(paths: [prefix + "bad/\(name).yaml"])
        return render(result.diagnostics).replacingOccurrences(of: prefix, with: "")
    }

    /// Every diagnostic's full rendering, joined by newlines.
    static func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(\.description).joined(separator: "\n")
    }

    /// The environment the bad corpus is loaded with.
    static let badEnvironment = ["KVMOVE_ENV": "staging", "MONTHS": "12"]
}
