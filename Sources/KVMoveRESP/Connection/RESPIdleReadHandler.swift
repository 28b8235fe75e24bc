import NIOCore

/// Drops a streaming connection whose server sends nothing for a while, as a Redis replica does after
/// `repl-timeout`.
///
/// The decisions are ``IdleReadStateMachine``'s; this handler feeds it the channel's reads and read requests
/// and carries out its actions. On expiry it fires ``RESPError/streamIdle(address:after:)`` down the pipeline
/// (the inbound stream of ``RESPStreamConnection`` throws it, as it throws for a cut connection) and closes.
final class RESPIdleReadHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: IdleReadStateMachine
    private let address: String
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount, address: String) {
        self.machine = IdleReadStateMachine(timeout: timeout)
        self.address = address
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(machine.active(now: context.eventLoop.now), context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        _ = machine.closed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        machine.read(now: context.eventLoop.now)
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        arm(machine.readRequested(now: context.eventLoop.now), context)
        context.read()
    }

    private func arm(_ deadline: NIODeadline?, _ context: ChannelHandlerContext) {
        guard let deadline else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) { handler.value.fired() }
    }

    private func fired() {
        timer = nil
        guard let context else { return }
        switch machine.timerFired(now: context.eventLoop.now) {
        case .none: break
        case .schedule(let deadline): arm(deadline, context)
        case .drop(let idle):
            context.fireErrorCaught(RESPError.streamIdle(address: address, after: .nanoseconds(idle.nanoseconds)))
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension RESPIdleReadHandler: Sendable {}

/// When a streaming connection has been silent too long: events in, actions out, no channel.
///
/// Silence is counted only while a read is wanted (the consumer asked for more), from the later of the last
/// bytes read and the request: a consumer that holds reading back (backpressure) never makes the server look
/// silent. One timer is armed at a time and moved on lazily when it fires.
package struct IdleReadStateMachine {
    /// What to do when the timer fired.
    package enum TimerAction: Equatable {
        /// Nothing is due (the connection is gone, or no read is wanted).
        case none
        /// Bytes arrived meanwhile: fire again then.
        case schedule(NIODeadline)
        /// Nothing arrived for (at least) the timeout, given here, while a read was wanted: drop the connection.
        case drop(TimeAmount)
    }

    private let timeout: TimeAmount
    private var lastProgress = NIODeadline.uptimeNanoseconds(0)
    private var reading = false
    private var armed = false
    private var open = true

    /// A machine that drops the connection after `timeout` of silence.
    package init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// The connection became active at `now`: the clock starts; returns when to arm the timer, if at all.
    package mutating func active(now: NIODeadline) -> NIODeadline? {
        lastProgress = now
        return arm()
    }

    /// The consumer asked for more bytes at `now`; returns when to arm the timer, if at all.
    package mutating func readRequested(now: NIODeadline) -> NIODeadline? {
        if !reading {
            reading = true
            lastProgress = max(lastProgress, now)
        }
        return arm()
    }

    /// Bytes arrived at `now`.
    package mutating func read(now: NIODeadline) {
        lastProgress = now
        reading = false
    }

    /// The connection is gone: nothing more is due.
    package mutating func closed() -> TimerAction {
        open = false
        return .none
    }

    /// The armed timer fired at `now`.
    package mutating func timerFired(now: NIODeadline) -> TimerAction {
        armed = false
        guard open else { return .none }
        let deadline = lastProgress + timeout
        if deadline <= now {
            guard reading else { return .none }  // the consumer holds reading back: the server is not to blame
            open = false
            return .drop(timeout)
        }
        armed = true
        return .schedule(deadline)
    }

    private mutating func arm() -> NIODeadline? {
        guard open, !armed else { return nil }
        armed = true
        return lastProgress + timeout
    }
}
