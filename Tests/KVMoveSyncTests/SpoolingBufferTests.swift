import Foundation
import KVMoveRESP
import KVMoveSync
import NIOCore
import Testing

/// The channel's input buffer: bounded memory, overflow to a spool file, bytes out in the order they came in.
@Suite("Spooling buffer")
struct SpoolingBufferTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spool-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        return path.path
    }

    @Test(
        "bytes come out in order through memory and the spool, for every memory bound",
        arguments: [1, 7, 100, 4096, 1 << 20])
    func orderAcrossMemoryAndSpool(memoryLimit: Int) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let status = ChannelStatus()
        let buffer = SpoolingBuffer(memoryLimit: memoryLimit, directory: directory, readSize: 333, status: status)
        var generator = SystemRandomNumberGenerator()
        var expected: [UInt8] = []
        var received: [UInt8] = []
        for round in 0..<50 {
            // Several chunks arrive while the applier is busy, then the applier takes some.
            for _ in 0..<Int.random(in: 1...5, using: &generator) {
                let chunk = (0..<Int.random(in: 1...2000, using: &generator)).map {
                    UInt8(truncatingIfNeeded: $0 &+ round)
                }
                expected += chunk
                buffer.append(ByteBuffer(bytes: chunk))
            }
            for _ in 0..<Int.random(in: 0...3, using: &generator)
            where buffer.counts.memory + Int(buffer.counts.spooled) > 0 {
                received += try await buffer.take().readableBytesView
            }
        }
        buffer.finish(throwing: RESPError.closed)
        while true {
            do {
                received += try await buffer.take().readableBytesView
            } catch RESPError.closed {
                break
            }
        }
        #expect(received == expected)
        if memoryLimit < 4096 { #expect(status.snapshot.spooledBytesTotal > 0) }
        #expect(status.snapshot.spooledBytes == 0)
        // The spool file was unlinked as soon as it was opened: nothing is left in the directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("take waits for input, and a cancelled take throws CancellationError")
    func takeWaitsAndCancels() async throws {
        let buffer = SpoolingBuffer(memoryLimit: 16, directory: nil)
        async let taken = buffer.take()
        try await Task.sleep(for: .milliseconds(50))
        buffer.append(ByteBuffer(string: "hello"))
        #expect(String(buffer: try await taken) == "hello")

        let waiting = Task { try await buffer.take() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
    }
}
