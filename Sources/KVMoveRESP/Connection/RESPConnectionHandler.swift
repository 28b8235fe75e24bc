import NIOCore
import NIOSSL

/// Carries out what ``RESPConnectionStateMachine`` decides for one channel: writes, resumes, failures, close.
///
/// Every method runs on the channel's event loop. The handler holds no logic of its own beyond turning
/// channel errors into ``RESPError``s: each event goes to the state machine, and each action it returns is
/// executed here, including the one timer of the command timeout, scheduled on the event loop.
final class RESPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Continuation = CheckedContinuation<[RESPValue], any Error>
    typealias StateMachine = RESPConnectionStateMachine<Continuation>

    /// `host:port`, for errors.
    private let address: String
    private var context: ChannelHandlerContext?
    private var stateMachine: StateMachine
    /// The command timeout's timer, while armed.
    private var timer: Scheduled<Void>?

    init(maxBytesInFlight: Int, commandTimeout: TimeAmount? = nil, address: String) {
        self.address = address
        self.stateMachine = StateMachine(
            maxBytesInFlight: maxBytesInFlight, commandTimeout: commandTimeout, address: address)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        execute(stateMachine.closed())
        cancelTimer()
        self.context = nil
    }

    /// Accepts a batch; its continuation is resumed with one reply per command, or with an error.
    func enqueue(_ request: StateMachine.Request) {
        switch stateMachine.enqueue(request) {
        case .write: writeWithinBudget()
        case .none: break
        case .succeed(let continuation, let replies): continuation.resume(returning: replies)
        case .fail(let continuation, let error): continuation.resume(throwing: error)
        }
    }

    /// The call that submitted request `id` was cancelled.
    func cancel(_ id: UInt64) {
        switch stateMachine.cancel(id) {
        case .none:
            break
        case .cancel(let continuation):
            continuation.resume(throwing: CancellationError())
        case .cancelAndClose(let continuation, let others, let error):
            continuation.resume(throwing: CancellationError())
            for other in others { other.resume(throwing: error) }
            context?.close(promise: nil)
        }
    }

    private func writeWithinBudget() {
        guard let context else { return }
        var wrote = false
        let now = context.eventLoop.now
        while let slice = stateMachine.nextWrite(now: now) {
            context.write(wrapOutboundOut(slice), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
        armTimer()
    }

    /// Schedules the timer when the state machine asks for one.
    private func armTimer() {
        guard let context, let deadline = stateMachine.armTimer() else { return }
        schedule(at: deadline, on: context.eventLoop)
    }

    private func schedule(at deadline: NIODeadline, on eventLoop: any EventLoop) {
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        timer = eventLoop.scheduleTask(deadline: deadline) { handler.value.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard let context else { return }
        switch stateMachine.timerFired(now: context.eventLoop.now) {
        case .none:
            break
        case .schedule(let deadline):
            schedule(at: deadline, on: context.eventLoop)
        case .failAndClose(let continuations, let error):
            for continuation in continuations { continuation.resume(throwing: error) }
            context.close(promise: nil)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stateMachine.received(unwrapInboundIn(data), now: context.eventLoop.now)
        while true {
            switch stateMachine.nextRead() {
            case .succeed(let continuation, let replies):
                continuation.resume(returning: replies)
            case .push:
                continue  // out-of-band RESP3 messages answer no command; nobody here subscribes to them
            case .failAndClose(let continuations, let error):
                for continuation in continuations { continuation.resume(throwing: error) }
                context.close(promise: nil)
                return
            case .needMoreData:
                armTimer()
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        writeWithinBudget()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        execute(stateMachine.closed())
        cancelTimer()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: RESPError
        switch error {
        case let error as RESPError: failure = error
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            let detail = RESPConnection.describeTLSError(error)
            failure =
                stateMachine.hasReceivedReply
                ? .connection("TLS error: \(detail)") : .unreachable(address: address, reason: .tlsHandshake(detail))
        default: failure = .connection("connection error: \(error)")
        }
        execute(stateMachine.errorCaught(failure))
        context.close(promise: nil)
    }

    private func execute(_ action: StateMachine.FailAction) {
        switch action {
        case .none:
            break
        case .fail(let continuations, let error, let close):
            for continuation in continuations { continuation.resume(throwing: error) }
            if close { context?.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension RESPConnectionHandler: Sendable {}
