import Foundation
import KVMoveCore
import KVMoveSpec
import Testing

/// Valid specs load without diagnostics and produce the values and locations written.
@Suite struct GoodSpecTests {
    static let environment = ["KVMOVE_ENV": "staging", "KVMOVE_STAGE": "sync"]

    static var exampleFiles: [String] {
        let examples = FixtureFiles.repositoryRoot.appendingPathComponent("examples")
        let enumerator = FileManager.default.enumerator(atPath: examples.path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            // Hidden folders (such as a workflow's .github/) are skipped, as the loader skips them.
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") { files.append(relative) }
        }
        return files.sorted()
    }

    @Test(arguments: exampleFiles)
    func exampleLoadsCleanly(relative: String) {
        let path = FixtureFiles.repositoryRoot.appendingPathComponent("examples/\(relative)").path
        let result = SpecLoader(environment: Self.environment).load(paths: [path])
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.specs.count + result.sandboxes.count > 0)
        #expect(result.files == [path])
    }

    @Test func examplesExist() {
        let files = Self.exampleFiles
        #expect(files.contains("basic/orders-cache.yaml"))
        #expect(files.contains { $0.hasPrefix("multi/") })
        #expect(files.contains { $0.hasPrefix("envs/") })
    }

    @Test func basicExampleDecodesEveryField() throws {
        let path = FixtureFiles.repositoryRoot.appendingPathComponent("examples/basic/orders-cache.yaml").path
        let result = SpecLoader(environment: [:]).load(paths: [path])
        let spec = try #require(result.specs.first)
        #expect(result.specs.count == 1)
        #expect(spec.name == "orders-cache")
        #expect(spec.provider == "aliyun")
        #expect(spec.source == SourceSpec(region: "cn-hangzhou", instanceId: "r-bp1zxszhcgatnx0001"))
        #expect(
            spec.target
                == TargetSpec(
                    region: "cn-hangzhou",
                    zone: "cn-hangzhou-h",
                    vpcId: "vpc-bp1app0001",
                    vSwitchId: "vsw-bp1app0001",
                    instanceName: "orders-cache",
                    billing: .postPaid
                )
        )
        #expect(spec.activeActive == GroupSpec(name: "orders-cache-aa"))
        #expect(spec.cutover.isEmpty)
        #expect(spec.stage == .sync)
    }

    @Test func cutoverMaxLagIsADurationInSeconds() throws {
        let text = Self.document().replacingOccurrences(
            of: "requireIdleSource: { for: 45s }", with: "requireIdleSource: { for: 45s }\n    maxLag: 2s")
        let result = SpecLoader(environment: [:]).load(text: text, file: "specs/lag.yaml")
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.specs.first?.cutover == CutoverSpec(requireIdleSourceSeconds: 45, maxLagSeconds: 2))
    }

    @Test func multiDocumentDirectoryLoadsInSortedOrder() throws {
        let directory = FixtureFiles.repositoryRoot.appendingPathComponent("examples/multi").path
        let result = SpecLoader(environment: [:]).load(paths: [directory])
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.files == [directory + "/inventory.yaml", directory + "/sessions.yaml"])
        #expect(result.specs.map(\.name) == ["inventory", "sessions", "carts"])
        let sessions = try #require(result.specs.first { $0.name == "sessions" })
        #expect(sessions.target.billing == .prePaid(periodMonths: 12, autoRenew: true))
        #expect(sessions.cutover == CutoverSpec(requireIdleSourceSeconds: 300))
        #expect(sessions.stage == .cutover)
        let carts = try #require(result.specs.first { $0.name == "carts" })
        #expect(carts.target.billing == .prePaid(periodMonths: 1, autoRenew: false))
        #expect(carts.cutover.requireIdleSourceSeconds == 5400)
        #expect(result.specs.first?.stage == .complete)
    }

    @Test func directoriesAreWalkedRecursively() throws {
        let examples = FixtureFiles.repositoryRoot.appendingPathComponent("examples").path
        let result = SpecLoader(environment: Self.environment).load(paths: [examples])
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.files == result.files.sorted())
        #expect(result.files.contains(examples + "/basic/orders-cache.yaml"))
        #expect(result.files.contains(examples + "/envs/search-cache.yaml"))
        #expect(result.specs.count >= 5)
    }

    @Test func interpolatesEnvironmentVariables() throws {
        let path = FixtureFiles.repositoryRoot.appendingPathComponent("examples/envs").path
        let result = SpecLoader(environment: ["KVMOVE_ENV": "production"]).load(paths: [path])
        let spec = try #require(result.specs.first)
        #expect(spec.name == "search-cache-production")
        #expect(spec.target.instanceName == "search-cache-production")
        #expect(spec.activeActive.name == "search-cache-production-aa")
        #expect(spec.cutover.requireIdleSourceSeconds == 7200)
    }

    @Test func interpolationHappensBeforeTypeChecks() throws {
        // Block style: in a flow mapping an unquoted `{` would start a nested mapping.
        let text = Self.document(
            billing: "\n      type: PrePaid\n      periodMonths: ${MONTHS}\n      autoRenew: ${RENEW}")
        let result = SpecLoader(environment: ["MONTHS": "24", "RENEW": "true"]).load(text: text, file: "a.yaml")
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.specs.first?.target.billing == .prePaid(periodMonths: 24, autoRenew: true))
    }

    @Test func dollarDollarBraceEscapesALiteralDollarBrace() throws {
        let text = Self.document(name: "orders-cache", instanceName: "'cost$$1$${'")
        let loader = SpecLoader(environment: [:])
        let result = loader.load(text: text, file: "a.yaml")
        // `${` in a name is refused by the name rule, which shows the escape produced it.
        #expect(
            FixtureFiles.render(result.diagnostics)
                .contains("spec.target.instanceName must not contain \"{\", found \"cost$$1${\"")
        )
        let plain = Self.document(name: "orders-cache", instanceName: "cost$5")
        #expect(loader.load(text: plain, file: "a.yaml").specs.first?.target.instanceName == "cost$5")
    }

    @Test func emptyDocumentsBetweenSeparatorsAreSkipped() {
        let text = "---\n---\n# nothing here\n---\n" + Self.document() + "---\n...\n"
        let result = SpecLoader(environment: [:]).load(text: text, file: "a.yaml")
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.specs.count == 1)
    }

    @Test func locationsPointAtValuesAndKeys() throws {
        let result = SpecLoader(environment: [:]).load(text: Self.document(), file: "specs/a.yaml")
        let spec = try #require(result.specs.first)
        let fields = spec.locations.fields
        func at(_ path: String) -> String? { fields[path]?.description }
        #expect(spec.locations.document?.description == "specs/a.yaml:1:1")
        #expect(at("metadata.name") == "specs/a.yaml:4:9")
        #expect(at("spec.provider") == "specs/a.yaml:6:13")
        #expect(at("spec.source.region") == "specs/a.yaml:8:13")
        #expect(at("spec.source.instanceId") == "specs/a.yaml:9:17")
        #expect(at("spec.target.region") == "specs/a.yaml:11:13")
        #expect(at("spec.target.zone") == "specs/a.yaml:12:11")
        #expect(at("spec.target.vpcId") == "specs/a.yaml:13:12")
        #expect(at("spec.target.vSwitchId") == "specs/a.yaml:14:16")
        #expect(at("spec.target.instanceName") == "specs/a.yaml:15:19")
        #expect(at("spec.target.billing") == "specs/a.yaml:16:5")
        #expect(at("spec.activeActive.name") == "specs/a.yaml:18:11")
        #expect(at("spec.cutover") == "specs/a.yaml:19:3")
        #expect(at("spec.stage") == "specs/a.yaml:21:10")
        #expect(at("spec.cutover.requireIdleSource.for") == "specs/a.yaml:20:31")
        #expect(spec.locations.location(of: "no.such.field") == spec.locations.document)
    }

    @Test func duplicateNamesAcrossFilesNameBothPlaces() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kvmove-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.document().write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("nested/.hidden"), withIntermediateDirectories: true)
        try ("# comment\n" + Self.document()).write(
            to: directory.appendingPathComponent("nested/b.yml"), atomically: true, encoding: .utf8)
        try "not: yaml: at all".write(
            to: directory.appendingPathComponent("nested/.hidden/c.yaml"), atomically: true, encoding: .utf8)
        try "ignored".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let result = SpecLoader(environment: [:]).load(paths: [directory.path])
        #expect(result.files == [directory.path + "/a.yaml", directory.path + "/nested/b.yml"])
        #expect(result.specs.count == 1)
        let rendered = FixtureFiles.render(result.diagnostics)
            .replacingOccurrences(of: directory.path + "/", with: "")
        #expect(
            rendered == """
                nested/b.yml:5:9: error: duplicate migration name "orders-cache"; first defined at a.yaml:4:9
                  name: orders-cache
                        ^~~~~~~~~~~~
                """
        )
    }

    @Test func missingPathsAndEmptyDirectoriesAreErrors() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kvmove-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = FixtureFiles.repositoryRoot.appendingPathComponent("examples/basic/orders-cache.yaml").path
        let empty = FixtureFiles.root.appendingPathComponent("bad/empty.yaml").path
        let result = SpecLoader(environment: [:]).load(paths: [empty, "no/such/file.yaml", good, directory.path])
        #expect(result.hasErrors)
        #expect(result.files == [empty, good])
        #expect(result.specs.map(\.name) == ["orders-cache"])
        #expect(
            result.diagnostics.map(\.description) == [
                "\(empty):1:1: error: file is empty; expected a kind: Migration document",
                "error: no such file or directory: \"no/such/file.yaml\"",
                "error: no *.yaml or *.yml files found in \"\(directory.path)\"",
            ]
        )
    }

    @Test func relativePathsStayRelative() throws {
        let result = SpecLoader(environment: [:]).load(text: Self.document(), file: "migrations/a.yaml")
        #expect(result.files == ["migrations/a.yaml"])
        #expect(result.specs.first?.locations.document?.file == "migrations/a.yaml")
    }

    @Test func oversizedFilesAreRefused() throws {
        let big = Self.document() + String(repeating: "# padding\n", count: 110_000)
        let result = SpecLoader(environment: [:]).load(text: big, file: "big.yaml")
        #expect(result.specs.isEmpty)
        #expect(
            FixtureFiles.render(result.diagnostics)
                == "big.yaml:1:1: error: file is too large (\(big.utf8.count) bytes); spec files are limited to 1 MiB "
                + "(1048576 bytes)"
        )
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-big-\(UUID().uuidString).yaml")
        try big.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromDisk = SpecLoader(environment: [:]).load(paths: [file.path])
        #expect(fromDisk.diagnostics.first?.message.hasPrefix("file is too large") == true)
    }

    @Test func deepNestingIsADiagnosticNotACrash() {
        let deep = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        let result = SpecLoader(environment: [:]).load(text: deep, file: "deep.yaml")
        #expect(result.hasErrors)
        let nested = String(repeating: "[", count: 900) + String(repeating: "]", count: 900)
        #expect(
            SpecLoader(environment: [:]).load(text: nested, file: "nested.yaml").diagnostics.map(\.headline)
                == ["nested.yaml:1:1: error: the document must be a mapping, found a list"]
        )
    }

    @Test func aliasesWithinTheBudgetExpand() throws {
        let text = Self.document(region: "&region cn-hangzhou").replacingOccurrences(
            of: "    region: cn-hangzhou\n    zone", with: "    region: *region\n    zone")
        let result = SpecLoader(environment: [:]).load(text: text, file: "a.yaml")
        #expect(result.diagnostics.isEmpty, "\(FixtureFiles.render(result.diagnostics))")
        #expect(result.specs.first?.target.region == "cn-hangzhou")
    }

    @Test func stdinStyleTextHasNoFilesystemAccess() {
        let result = SpecLoader(environment: [:]).load(text: "", file: "<stdin>")
        #expect(
            FixtureFiles.render(result.diagnostics)
                == "<stdin>:1:1: error: file is empty; expected a kind: Migration document"
        )
    }

    /// A valid document with a few fields replaceable; line numbers are relied on above.
    static func document(
        name: String = "orders-cache",
        region: String = "cn-hangzhou",
        instanceName: String = "orders-cache",
        billing: String = "{ type: PostPaid }"
    ) -> String {
        """
        apiVersion: kvmove/v1
        kind: Migration
        metadata:
          name: \(name)
        spec:
          provider: local
          source:
            region: \(region)
            instanceId: r-bp1zxszhcgatnx0001
          target:
            region: cn-hangzhou
            zone: cn-hangzhou-h
            vpcId: vpc-bp1app0001
            vSwitchId: vsw-bp1app0001
            instanceName: \(instanceName)
            billing: \(billing)
          activeActive:
            name: orders-cache-aa
          cutover:
            requireIdleSource: { for: 45s }
          stage: sync

        """
    }
}
