import Foundation
import NIOCore
import Synchronization

/// The bytes read from the source and not applied yet: in memory up to a bound, then in a spool file.
///
/// The reader task appends every chunk as it arrives and never waits; the applier takes everything buffered
/// so far (up to `readSize` bytes) in one piece (``take()``), so a batch covers the input that is ready. Chunks
/// are kept as they were read, so memory holds what was read and no more. Once the memory part
/// holds `memoryLimit` bytes, later chunks go to the end of a spool file, and keep going there until the
/// applier has read the file back to its end, so the bytes come out in the order they came in. The file is
/// created on first use in `directory`, unlinked at once (nothing is left behind if the worker dies) and
/// truncated each time it is read to its end.
package final class SpoolingBuffer: Sendable {
    /// Why the spool cannot take more bytes.
    package struct SpoolFailure: DataPlaneFailure {
        package var detail: String

        package var description: String {
            "the sync channel's spool file failed: \(detail); free space in the spool directory, then restart "
                + "the channel: it continues from its checkpoint"
        }

        package var code: String { "SpoolFailed" }
        package var message: String { description }
        package var isRetryable: Bool { false }
    }

    private struct State: Sendable {
        /// The chunks in memory, oldest first from `head`.
        var chunks: [ByteBuffer] = []
        var head = 0
        var memoryBytes = 0
        var descriptor: Int32 = -1
        /// Bytes written to the spool file and bytes read back, since it was last truncated.
        var written: Int64 = 0
        var read: Int64 = 0
        var end: Result<Void, any Error>?
        var aborted: (any Error)?
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false

        var spooled: Int64 { written - read }
        var hasInput: Bool { memoryBytes > 0 || written > read }

        /// Up to `limit` bytes from the front of the memory chunks (at least one chunk), in one buffer.
        mutating func takeMemory(limit: Int) -> ByteBuffer {
            var bytes = chunks[head]
            chunks[head] = ByteBuffer()
            head += 1
            if head < chunks.count, bytes.readableBytes + chunks[head].readableBytes <= limit {
                var joined = ByteBuffer()
                var total = bytes.readableBytes
                var end = head
                while end < chunks.count, total + chunks[end].readableBytes <= limit {
                    total += chunks[end].readableBytes
                    end += 1
                }
                joined.reserveCapacity(total)
                joined.writeBuffer(&bytes)
                for index in head..<end {
                    joined.writeBuffer(&chunks[index])
                    chunks[index] = ByteBuffer()
                }
                head = end
                bytes = joined
            }
            memoryBytes -= bytes.readableBytes
            if head == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1024, head * 2 > chunks.count {
                chunks.removeFirst(head)
                head = 0
            }
            return bytes
        }
    }

    private let state = Mutex(State())
    private let memoryLimit: Int
    private let readSize: Int
    private let directory: String
    private let status: ChannelStatus?

    /// A buffer that holds up to `memoryLimit` bytes in memory and spools the rest to a file in `directory`.
    package init(memoryLimit: Int, directory: String?, readSize: Int = 1 << 20, status: ChannelStatus? = nil) {
        self.memoryLimit = max(1, memoryLimit)
        self.readSize = max(1, readSize)
        self.directory = directory ?? FileManager.default.temporaryDirectory.path
        self.status = status
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
        }
    }

    /// Appends bytes read from the source; never waits for the applier.
    package func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        var chunk = chunk
        let (waiter, memory, spooled, addedToSpool) = state.withLock {
            state -> (CheckedContinuation<Void, Never>?, Int, Int64, Int) in
            guard state.end == nil else { return (nil, state.memoryBytes, state.spooled, 0) }
            var added = 0
            if state.spooled > 0 || state.memoryBytes + chunk.readableBytes > memoryLimit {
                do {
                    try spool(&chunk, into: &state)
                    added = chunk.readableBytes
                } catch {
                    state.end = .failure(error)
                }
            } else {
                state.memoryBytes += chunk.readableBytes
                if chunk.capacity > 2 * chunk.readableBytes + 4096 {
                    // A read into a big buffer that came back part full: keep the bytes, not the buffer.
                    var compact = ByteBuffer()
                    compact.reserveCapacity(chunk.readableBytes)
                    compact.writeBuffer(&chunk)
                    chunk = compact
                }
                state.chunks.append(chunk)
            }
            let waiter = state.waiter
            state.waiter = nil
            return (waiter, state.memoryBytes, state.spooled, added)
        }
        status?.update {
            $0.bufferedBytes = memory
            $0.spooledBytes = Int(spooled)
            $0.spooledBytesTotal += addedToSpool
        }
        waiter?.resume()
    }

    /// Marks the end of the input: ``take()`` returns what is left, then throws `error`.
    package func finish(throwing error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.end == nil { state.end = .failure(error) }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Makes ``take()`` throw `error` at once, whatever is still buffered (the applier cannot go on).
    package func abort(throwing error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.aborted == nil { state.aborted = error }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// What is buffered (memory first, then the spool; up to `readSize` bytes, or one bigger chunk), waiting for input
    /// when there is none; throws the input's end once it is all taken, and `CancellationError` if cancelled.
    package func take() async throws -> ByteBuffer {
        while true {
            try Task.checkCancellation()
            let taken = try state.withLock { state -> (ByteBuffer, Int, Int64)? in
                if let aborted = state.aborted { throw aborted }
                if state.memoryBytes > 0 {
                    let bytes = state.takeMemory(limit: readSize)
                    return (bytes, state.memoryBytes, state.spooled)
                }
                if state.spooled > 0 {
                    let bytes = try readSpool(&state)
                    return (bytes, 0, state.spooled)
                }
                if case .failure(let error) = state.end { throw error }
                return nil
            }
            if let (bytes, memory, spooled) = taken {
                status?.update {
                    $0.bufferedBytes = memory
                    $0.spooledBytes = Int(spooled)
                }
                return bytes
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.hasInput || state.end != nil || state.aborted != nil || state.cancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.cancelled = true
                    let waiter = state.waiter
                    state.waiter = nil
                    return waiter
                }
                waiter?.resume()
            }
        }
    }

    /// Bytes in memory and in the spool file now.
    package var counts: (memory: Int, spooled: Int64) {
        state.withLock { ($0.memoryBytes, $0.spooled) }
    }

    private func spool(_ chunk: inout ByteBuffer, into state: inout State) throws {
        if state.descriptor < 0 {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var template = Array((directory + "/kvmove-spool-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { pointer in
                pointer.baseAddress.map { mkstemp($0) } ?? -1
            }
            guard descriptor >= 0 else {
                throw SpoolFailure(detail: "cannot create a file in \(directory) (errno \(errno))")
            }
            _ = template.withUnsafeBufferPointer { pointer in pointer.baseAddress.map { unlink($0) } }
            state.descriptor = descriptor
        }
        let descriptor = state.descriptor
        var offset = state.written
        try chunk.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let count = pwrite(descriptor, base + done, raw.count - done, off_t(offset))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SpoolFailure(detail: "writing failed (errno \(errno))")
                }
                done += count
                offset += Int64(count)
            }
        }
        state.written = offset
    }

    private func readSpool(_ state: inout State) throws -> ByteBuffer {
        let length = Int(min(Int64(readSize), state.spooled))
        var bytes = ByteBuffer()
        let descriptor = state.descriptor
        let offset = state.read
        try bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            guard let base = raw.baseAddress else { return 0 }
            var done = 0
            while done < length {
                let count = pread(descriptor, base + done, length - done, off_t(offset + Int64(done)))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw SpoolFailure(detail: "reading back failed (errno \(errno))") }
                done += count
            }
            return done
        }
        state.read += Int64(length)
        if state.read == state.written {
            // Read to its end: start the file again, so it never grows past what is waiting in it.
            _ = ftruncate(descriptor, 0)
            state.read = 0
            state.written = 0
        }
        return bytes
    }
}
