import Foundation

/// Runs a program to completion, feeding it standard input and collecting what it prints.
enum ProcessRun {
    /// What one run printed and how it exited.
    struct Result: Sendable {
        var out: String
        var err: String
        var code: Int32
    }

    /// Runs `executable` with `arguments`; blocks the calling thread until it exits.
    static func run(
        _ executable: String,
        _ arguments: [String],
        stdin: String = "",
        directory: URL? = nil,
        environment: [String: String]? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        for pipe in [outPipe, errPipe, inPipe] {
            for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        try process.run()
        let out = Collected()
        let err = Collected()
        let group = DispatchGroup()
        for (pipe, sink) in [(outPipe, out), (errPipe, err)] {
            group.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                sink.set(handle.readDataToEndOfFile())
                group.leave()
            }
        }
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try inPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return Result(
            out: String(decoding: out.get(), as: UTF8.self), err: String(decoding: err.get(), as: UTF8.self),
            code: process.terminationStatus)
    }

    /// Runs on a background thread, so an async test does not block its executor.
    static func runDetached(
        _ executable: String,
        _ arguments: [String],
        stdin: String = "",
        directory: URL? = nil,
        environment: [String: String]? = nil
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try run(executable, arguments, stdin: stdin, directory: directory, environment: environment)
                    })
            }
        }
    }

    /// Bytes one pipe delivered.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ value: Data) { lock.withLock { data = value } }
        func get() -> Data { lock.withLock { data } }
    }
}
