// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "kvmove",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kvmove", targets: ["kvmove"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // Domain model, planner, applier, journal, locks, the Provider protocol. Foundation only.
        .target(name: "KVMoveCore"),
        // YAML → MigrationSpec with file:line:col diagnostics.
        .target(
            name: "KVMoveSpec",
            dependencies: ["KVMoveCore", .product(name: "Yams", package: "Yams")]
        ),
        // Fakes shared by tests (and by the binary's test hook, see docs/architecture.md).
        .target(name: "KVMoveTestSupport", dependencies: ["KVMoveCore"]),
        .executableTarget(
            name: "kvmove",
            dependencies: [
                "KVMoveCore",
                "KVMoveSpec",
                "KVMoveTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "KVMoveCoreTests", dependencies: ["KVMoveCore", "KVMoveTestSupport"]),
        .testTarget(
            name: "KVMoveSpecTests",
            dependencies: ["KVMoveSpec", "KVMoveCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "KVMoveCLITests",
            dependencies: ["kvmove", "KVMoveCore", "KVMoveTestSupport"],
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
