import Foundation
import Testing

/// Compares `actual` with `Golden/<name>`; with `RECORD_GOLDEN=1` writes it there instead.
///
/// Recording writes into the source tree (found from this file's path), not into the built
/// bundle, so the next build picks the new file up. Review every recorded file: it is the contract.
func assertGolden(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden").appendingPathComponent(name)
        do {
            try Data(actual.utf8).write(to: url, options: .atomic)
        } catch {
            Issue.record("could not record golden file \(name): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let directory = Bundle.module.url(forResource: "Golden", withExtension: nil),
        let data = try? Data(contentsOf: directory.appendingPathComponent(name))
    else {
        Issue.record(
            "golden file \(name) is missing; run the tests with RECORD_GOLDEN=1 to create it",
            sourceLocation: sourceLocation
        )
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    guard actual != expected else { return }
    let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let index =
        zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(actualLines.count, expectedLines.count)
    let got = index < actualLines.count ? String(actualLines[index]) : "<end of output>"
    let want = index < expectedLines.count ? String(expectedLines[index]) : "<end of file>"
    Issue.record(
        """
        output differs from golden file \(name) at line \(index + 1):
          expected: \(want)
            actual: \(got)
        (run with RECORD_GOLDEN=1 to re-record, then review the diff)
        """,
        sourceLocation: sourceLocation
    )
}
