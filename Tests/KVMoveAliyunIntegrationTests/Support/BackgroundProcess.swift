import Foundation

/// A program started in the background, its output going to files, so a test can kill it at a moment it picks.
final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    let outFile: URL
    let errFile: URL

    init(_ executable: URL, _ arguments: [String], directory: URL, environment: [String: String]) throws {
        let name = UUID().uuidString.prefix(8)
        outFile = directory.appendingPathComponent("bg-\(name).out")
        errFile = directory.appendingPathComponent("bg-\(name).err")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var output: String {
        ((try? String(contentsOf: outFile, encoding: .utf8)) ?? "")
            + ((try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }

    /// Kills it with SIGKILL and waits for it to end.
    func killNine() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits (polling every 20 ms, at most `seconds`) until `condition` holds; returns whether it did.
    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            let late = ContinuousClock.now >= deadline  // the last check begins after the deadline
            if try await condition() { return true }
            if late { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
