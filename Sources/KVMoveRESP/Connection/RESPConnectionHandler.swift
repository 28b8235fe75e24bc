import NIOCore
import NIOSSL

/// Pairs replies with the commands that asked for them and writes commands within a byte budget.
///
/// Every method runs on the channel's event loop. Work arrives as batches: one batch is written with
/// as few writes and flushes as the budget allows, and its caller is resumed once, when the last of its
/// replies has arrived. Replies come back in the order commands were written, so a FIFO of batches is
/// enough to match them.
final class RESPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    typealias OutboundOut = ByteBuffer

    /// Commands encoded back to back, waiting to be written and answered.
    final class Batch {
        let payload: ByteBuffer
        /// The end offset of each command inside `payload`.
        let ends: [Int]
        var written = 0
        var replies: [RESPValue] = []
        let continuation: CheckedContinuation<[RESPValue], any Error>

        init(payload: ByteBuffer, ends: [Int], continuation: CheckedContinuation<[RESPValue], any Error>) {
            self.payload = payload
            self.ends = ends
            self.continuation = continuation
            replies.reserveCapacity(ends.count)
        }
    }

    private let maxBytesInFlight: Int
    /// `host:port`, for errors.
    private let address: String
    /// Whether any reply arrived: a TLS failure before that means the server could not be reached.
    private var answered = false
    private var context: ChannelHandlerContext?
    private var awaitingReplies = CircularBuffer<Batch>()
    private var awaitingWrite = CircularBuffer<Batch>()
    private var sizesInFlight = CircularBuffer<Int>()
    private var bytesInFlight = 0
    private var failure: RESPError?

    init(maxBytesInFlight: Int, address: String) {
        self.maxBytesInFlight = max(1, maxBytesInFlight)
        self.address = address
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(with: .closed)
        self.context = nil
    }

    /// Accepts a batch; its continuation is resumed with one reply per command, or with an error.
    func enqueue(_ batch: Batch) {
        if let failure {
            batch.continuation.resume(throwing: failure)
            return
        }
        if batch.ends.isEmpty {
            batch.continuation.resume(returning: [])
            return
        }
        awaitingReplies.append(batch)
        awaitingWrite.append(batch)
        writeWithinBudget()
    }

    private func writeWithinBudget() {
        guard let context else { return }
        var wrote = false
        while let batch = awaitingWrite.first {
            let first = batch.written
            var next = first
            let startOffset = first == 0 ? 0 : batch.ends[first - 1]
            var previousEnd = startOffset
            while next < batch.ends.count {
                let size = batch.ends[next] - previousEnd
                guard bytesInFlight == 0 || bytesInFlight + size <= maxBytesInFlight else { break }
                previousEnd = batch.ends[next]
                bytesInFlight += size
                sizesInFlight.append(size)
                next += 1
            }
            guard next > first,
                let slice = batch.payload.getSlice(
                    at: batch.payload.readerIndex + startOffset, length: previousEnd - startOffset)
            else { break }
            context.write(wrapOutboundOut(slice), promise: nil)
            wrote = true
            batch.written = next
            guard next == batch.ends.count else { break }
            awaitingWrite.removeFirst()
        }
        if wrote { context.flush() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        answered = true
        if case .push = value { return }  // out-of-band RESP3 messages answer no command
        guard let batch = awaitingReplies.first, !sizesInFlight.isEmpty else {
            fail(with: .protocolViolation("the server sent a reply that no command asked for"))
            context.close(promise: nil)
            return
        }
        bytesInFlight -= sizesInFlight.removeFirst()
        batch.replies.append(value)
        if batch.replies.count == batch.ends.count {
            awaitingReplies.removeFirst()
            batch.continuation.resume(returning: batch.replies)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !awaitingWrite.isEmpty { writeWithinBudget() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(with: .closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let error as RESPError: fail(with: error)
        case let error as ByteToMessageDecoderError:
            fail(with: .protocolViolation("the reply decoder failed: \(error)"))
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            let detail = RESPConnection.describeTLSError(error)
            fail(
                with: answered
                    ? .connection("TLS error: \(detail)")
                    : .unreachable(address: address, reason: .tlsHandshake(detail)))
        default: fail(with: .connection("connection error: \(error)"))
        }
        context.close(promise: nil)
    }

    private func fail(with error: RESPError) {
        if failure == nil { failure = error }
        let pending = awaitingReplies
        awaitingReplies.removeAll()
        awaitingWrite.removeAll()
        sizesInFlight.removeAll()
        bytesInFlight = 0
        for batch in pending {
            batch.continuation.resume(throwing: failure ?? error)
        }
    }
}

@available(*, unavailable)
extension RESPConnectionHandler: Sendable {}
