import Foundation
import Testing

/// The Python side of the Alibaba tests: `python3` with the official SDK (`alibabacloud-tea-openapi`) and pytest.
///
/// Gate tests with `.enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason)`: without the tooling they
/// are skipped, except when `CI=true`, where they run and ``require()`` fails with what to install.
enum PythonTooling {
    /// Why the tooling is unusable.
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository root (this file is `Tests/KVMoveAliyunIntegrationTests/Support/PythonTooling.swift`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The fake cloud's directory, `Tests/FakeCloud`.
    static let fakeCloudDirectory = repositoryRoot.appendingPathComponent("Tests/FakeCloud")

    /// `$PYTHON`, else the first `python3` on `PATH`.
    static let python: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["PYTHON"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let directories = (environment["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":")
        return directories.map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether `python3` can import the official SDK and pytest.
    static let hasPackages: Bool = {
        guard let python else { return false }
        let result = try? ProcessRun.run(python, ["-c", "import " + modules.joined(separator: ", ")])
        return result?.code == 0
    }()

    /// The Python modules the tests import: the signer, the three products' SDKs (the contract), the
    /// credentials library (the OIDC request's shape) and pytest.
    static let modules = [
        "alibabacloud_tea_openapi", "darabonba", "alibabacloud_r_kvstore20150101", "alibabacloud_vpc20160428",
        "alibabacloud_sts20150401", "alibabacloud_credentials", "pytest",
    ]

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// True when the tooling is there, or must be (CI), so the test runs and fails loudly.
    static var shouldRun: Bool { hasPackages || isCI }

    static let skipReason: Comment =
        "python3 with the official Alibaba Cloud SDKs and pytest is not installed (CI=true makes this a failure)"

    /// The `python3` to use; throws, saying what to install, when the tooling is missing.
    static func require() throws -> String {
        guard let python else {
            throw Missing(description: "python3 was not found on PATH (or $PYTHON); the Alibaba tests need it")
        }
        guard hasPackages else {
            throw Missing(
                description: "\(python) cannot import the official Alibaba Cloud SDK or pytest: "
                    + "run `python3 -m pip install alibabacloud-tea-openapi alibabacloud-r-kvstore20150101==7.0.0 "
                    + "alibabacloud-vpc20160428 alibabacloud-sts20150401 alibabacloud-credentials pytest` (.ci/run does)")
        }
        return python
    }
}
