import Foundation
import Testing

/// Runs `scripts/check-schema.py`, which validates the examples and the bad corpus against the schema.
@Suite struct SchemaCheckTests {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether `python3` with `jsonschema` and `yaml` can be run, and why not if it cannot.
    static func pythonProblem() -> String? {
        let (status, output) = run(["python3", "-c", "import jsonschema, yaml"])
        return status == 0 ? nil : "python3 with jsonschema and PyYAML is not available: \(output)"
    }

    /// Skipped (with this reason) only off CI: on CI a missing python3 or jsonschema is a failure.
    @Test(
        .enabled(
            if: isCI || pythonProblem() == nil,
            "python3 with jsonschema and PyYAML is not available (install python3-jsonschema python3-yaml)"
        )
    )
    func schemaAcceptsExamplesAndRejectsBadSpecs() async throws {
        if let problem = Self.pythonProblem() {
            Issue.record("\(problem) (required when CI=true)")
            return
        }
        // On a thread of its own: the check runs for a while, and the cooperative pool is small.
        let (status, output) = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Self.run(["python3", "scripts/check-schema.py"])) }
        }
        #expect(status == 0, "check-schema.py failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }

    /// Runs a command in the repository root, returning its exit status and combined output.
    static func run(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = FixtureFiles.repositoryRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
