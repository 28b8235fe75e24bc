import Foundation
import Testing

/// Runs the built `kvmove` binary with `provider: aliyun` against a ``FakeCloud``, in a scratch directory.
///
/// The environment holds only what a user's would: the credentials (environment keys unless a test
/// chooses another link of the chain), the endpoint overrides pointing at the fake, the account
/// password in the variable the spec names, and a scratch `HOME` (so no real `~/.aliyun` is read).
struct AliyunCLI {
    /// What one run printed and how it exited.
    typealias Result = ProcessRun.Result

    static let accessKeyId = "LTAI5tE2EkvmoveTest01"
    static let accessKeySecret = "e2e-Secret-Q9z/+=kvmoveAK"
    static let sourcePassword = "Src-Passw0rd!e2e"
    static let passwordVariable = "ORDERS_REDIS_PASSWORD"
    static let region = "cn-hangzhou"

    let cloud: FakeCloud
    let directory: URL
    var environment: [String: String]

    /// A scratch directory, environment keys and endpoint overrides for `cloud`.
    init(cloud: FakeCloud) throws {
        self.cloud = cloud
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("home"), withIntermediateDirectories: true)
        var env: [String: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        for name in ["PATH", "LANG", "REDIS_SERVER"] { env[name] = inherited[name] }
        env["HOME"] = directory.appendingPathComponent("home").path
        env["NO_COLOR"] = "1"
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = Self.accessKeyId
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = Self.accessKeySecret
        env["ALIBABA_CLOUD_ENDPOINT_R_KVSTORE"] = cloud.endpoint
        env["ALIBABA_CLOUD_ENDPOINT_VPC"] = cloud.endpoint
        env["ALIBABA_CLOUD_ENDPOINT_STS"] = cloud.endpoint
        env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
        env["KVMOVE_ALIYUN_POLL_SECONDS"] = "0.1"
        env[Self.passwordVariable] = Self.sourcePassword
        environment = env
    }

    /// The shipped binary beside the test bundle.
    static var binary: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("kvmove"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kvmove"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Runs kvmove to completion.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Result {
        try await ProcessRun.runDetached(
            Self.binary.path, arguments, directory: directory, environment: environment.merging(extra) { $1 })
    }

    /// Writes `spec` to `name`, applies it with `--auto-approve`, and records an issue at the caller unless the
    /// apply succeeded.
    @discardableResult
    func apply(
        _ name: String, _ spec: String, environment extra: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Result {
        try write(name, spec)
        let result = try await run(["apply", "-f", path(name), "--auto-approve"], environment: extra)
        #expect(result.code == 0, "\(result.out)\n\(result.err)", sourceLocation: sourceLocation)
        return result
    }

    /// Every file kvmove wrote in the scratch directory (plans, journals, reports), as text.
    func writtenFiles() -> [(String, String)] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        var files: [(String, String)] = []
        for case let url as URL in walker where !url.hasDirectoryPath {
            if let data = try? Data(contentsOf: url) { files.append((url.path, String(decoding: data, as: UTF8.self))) }
        }
        return files
    }

    /// Records an issue for every secret that appears in `texts` or in a file kvmove wrote.
    func expectNoSecrets(_ secrets: [String], in texts: [String], excluding: Set<String> = []) {
        let files = writtenFiles().filter { !excluding.contains($0.0) }
        for secret in secrets where !secret.isEmpty {
            for (index, text) in texts.enumerated() {
                #expect(!text.contains(secret), "output \(index) shows a secret")
            }
            for (name, text) in files {
                #expect(!text.contains(secret), "\(name) holds a secret")
            }
        }
    }

    // MARK: The world

    /// The application vSwitch's address range.
    static let appCidr = "172.16.8.0/24"

    /// Seeds the standard world: the access key, two VPCs in two zones, and a backed source instance.
    static func seedStandard(_ cloud: FakeCloud, sourceID: String = "r-bp1e2esource0001") async throws {
        try await cloud.control(
            "POST", "seed",
            [
                "access_keys": [accessKeyId: accessKeySecret],
                "vpcs": [
                    ["VpcId": "vpc-bp1old0001", "RegionId": region],
                    ["VpcId": "vpc-bp1app0001", "RegionId": region],
                ],
                "vswitches": [
                    [
                        "VSwitchId": "vsw-bp1old0001", "VpcId": "vpc-bp1old0001", "ZoneId": "cn-hangzhou-h",
                        "RegionId": region, "CidrBlock": "10.0.1.0/24",
                    ],
                    [
                        "VSwitchId": "vsw-bp1app0001", "VpcId": "vpc-bp1app0001", "ZoneId": "cn-hangzhou-k",
                        "RegionId": region, "CidrBlock": appCidr,
                    ],
                ],
                "instances": [
                    [
                        "InstanceId": sourceID, "InstanceName": "orders", "RegionId": region, "ZoneId": "cn-hangzhou-h",
                        "VpcId": "vpc-bp1old0001", "VSwitchId": "vsw-bp1old0001",
                        "InstanceClass": "redis.amber.master.2g.default", "EngineVersion": "5.0",
                        "MinorVersion": "redis-5.0_1.0.0", "LatestMinorVersion": "redis-5.0_1.2.0",
                        "password": sourcePassword,
                    ]
                ],
            ])
    }

    /// A migration spec for the standard world; `idleFor` adds the idle-source gate (such as `2s`), `maxLag` the lag gate.
    ///
    /// The fake's channel is Redis replication, whose link shows on the source as a replica client
    /// (`flags=S cmd=replconf`); the gate does not count replication links as applications.
    static func spec(
        name: String = "orders-cache", sourceID: String = "r-bp1e2esource0001", stage: String = "sync",
        idleFor: String? = nil, maxLag: String? = nil
    ) -> String {
        var gate = idleFor.map { "\n    requireIdleSource: { for: \($0) }" } ?? ""
        gate += maxLag.map { "\n    maxLag: \($0)" } ?? ""
        if !gate.isEmpty { gate = "\n  cutover:" + gate }
        return """
            apiVersion: kvmove/v1
            kind: Migration
            metadata:
              name: \(name)
            spec:
              provider: aliyun
              source:
                region: \(region)
                instanceId: \(sourceID)
              target:
                region: \(region)
                zone: cn-hangzhou-k
                vpcId: vpc-bp1app0001
                vSwitchId: vsw-bp1app0001
                instanceName: \(name)-new
                billing:
                  type: PostPaid
              activeActive:
                name: \(name)-aa
              connection:
                passwordEnv: \(passwordVariable)\(gate)
              stage: \(stage)

            """
    }
}
