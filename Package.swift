// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "kvmove",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kvmove", targets: ["kvmove"]),
        .executable(name: "kvmove-bench", targets: ["KVMoveBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // The redacting `Secret` value type, shared by Core (requests) and the data plane (passwords). Stdlib only.
        .target(name: "KVMoveSecret"),
        // Domain model, planner, applier, journal, locks, the Provider protocol. Foundation only.
        .target(name: "KVMoveCore", dependencies: ["KVMoveSecret"]),
        // YAML → MigrationSpec with file:line:col diagnostics.
        .target(
            name: "KVMoveSpec",
            dependencies: ["KVMoveCore", .product(name: "Yams", package: "Yams")]
        ),
        // RESP2/3 codec and an async, pipelining connection on SwiftNIO.
        .target(
            name: "KVMoveRESP",
            dependencies: [
                "KVMoveSecret",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The data plane every provider shares: endpoints, scan copier, verifier, cutover gates, reports, errors.
        .target(
            name: "KVMoveSync",
            dependencies: [
                "KVMoveRESP", "KVMoveSecret",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The embedded sandbox provider: redis-server processes, groups, channel workers.
        .target(
            name: "KVMoveLocal",
            dependencies: [
                "KVMoveCore", "KVMoveRESP", "KVMoveSecret", "KVMoveSync",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Alibaba Cloud provider: ACS3 signer, credentials chain, OpenAPI client, R-KVStore/VPC provider.
        .target(
            name: "KVMoveAliyun",
            dependencies: [
                "KVMoveCore", "KVMoveRESP", "KVMoveSecret", "KVMoveSync",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fakes shared by tests. Only test targets link it; the shipped binary never does.
        .target(name: "KVMoveTestSupport", dependencies: ["KVMoveCore"]),
        // Commands, options, views, and the one place that knows every provider.
        .target(
            name: "KVMoveCLI",
            dependencies: [
                "KVMoveCore",
                "KVMoveSpec",
                "KVMoveLocal",
                "KVMoveAliyun",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The shipped binary: a thin main over KVMoveCLI.
        .executableTarget(name: "kvmove", dependencies: ["KVMoveCLI"]),
        // Copy and verify throughput against native replication (scripts/bench).
        .executableTarget(
            name: "KVMoveBench",
            dependencies: ["KVMoveRESP", "KVMoveSecret", "KVMoveSync"],
            path: "Benchmarks/KVMoveBench"
        ),
        .testTarget(name: "KVMoveCoreTests", dependencies: ["KVMoveCore", "KVMoveSecret", "KVMoveTestSupport"]),
        .testTarget(
            name: "KVMoveSpecTests",
            dependencies: ["KVMoveSpec", "KVMoveCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "KVMoveRESPTests",
            dependencies: [
                "KVMoveRESP", "KVMoveSecret",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Pure state machines of the data plane (replica protocol, RDB splitter) on bytes captured from redis-server.
        .testTarget(
            name: "KVMoveSyncTests",
            dependencies: [
                "KVMoveSync", "KVMoveRESP",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Tests that start real redis-server processes: they fail, not skip, when CI=true and it is missing.
        .testTarget(
            name: "KVMoveIntegrationTests",
            dependencies: [
                "KVMoveRESP", "KVMoveSecret", "KVMoveSync", "KVMoveLocal", "KVMoveCore", "KVMoveSpec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Tests against the fake Alibaba Cloud (Tests/FakeCloud, Python): they fail, not skip, when CI=true and
        // python3 with the official SDK is missing.
        .testTarget(
            name: "KVMoveAliyunIntegrationTests",
            dependencies: [
                "KVMoveAliyunSignTool", "kvmove", "KVMoveRESP", "KVMoveSecret", "KVMoveAliyun", "KVMoveCore",
            ]
        ),
        // Test-only: the command tree with the fake cloud, for CLI tests that need a real process. Not a product.
        .executableTarget(
            name: "KVMoveCLITestHost",
            dependencies: ["KVMoveCLI", "KVMoveCore", "KVMoveTestSupport"],
            path: "Tests/KVMoveCLITestHost"
        ),
        // Test-only: signs JSON-described requests offline, for the signature oracle. Not a product.
        .executableTarget(
            name: "KVMoveAliyunSignTool",
            dependencies: ["KVMoveAliyun", "KVMoveSecret"],
            path: "Tests/KVMoveAliyunSignTool"
        ),
        .testTarget(
            name: "KVMoveAliyunTests",
            dependencies: ["KVMoveAliyun", "KVMoveCore", "KVMoveSecret"]
        ),
        .testTarget(
            name: "KVMoveCLITests",
            dependencies: [
                "KVMoveCLI", "kvmove", "KVMoveCLITestHost", "KVMoveCore", "KVMoveSecret", "KVMoveTestSupport",
            ],
            resources: [.copy("Golden")]
        ),
    ]
)

for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
