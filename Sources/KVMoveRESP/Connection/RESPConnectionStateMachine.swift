import NIOCore

/// The request/reply logic of a RESP connection: consumes events and returns what to do, touching no socket.
///
/// ``RESPConnectionHandler`` feeds it the events of its channel (a batch to send, bytes read, an error, the
/// channel gone, a call cancelled) and carries out the actions it returns: write, resume a caller, fail
/// callers, close. Everything that decides how replies are paired with commands lives here, so it can be
/// tested byte by byte without a channel.
///
/// Work arrives as batches of commands encoded back to back. Commands are written in order within a byte
/// budget (bytes written but not yet answered; one command is always allowed), and a batch's caller is
/// resumed once, when its last reply has arrived. Replies come back in the order commands were written,
/// so a FIFO of batches is enough to match them. RESP3 push frames answer no command and are handed back
/// as ``ReadAction/push(_:)``; a reply that no command asked for breaks the pairing, so it closes the
/// connection with a protocol violation. `Promise` is whatever the caller resumes (a continuation in the
/// handler, a plain value in tests).
///
/// **Timeouts.** With a command timeout, the oldest command written and not answered must be answered
/// within it, counted from when it became the oldest (its write on an idle connection, or the last bytes
/// read): a long pipeline that keeps answering never times out, a server that stops answering does. A
/// blocking command (``RESPCommand/blocking``) gets its block time on top; one that blocks forever has no
/// bound. One timer is armed at a time (``armTimer()``), and when it fires (``timerFired(now:)``) the machine
/// either asks for it again at the deadline that progress moved on to, or fails every caller with
/// ``RESPError/commandTimedOut(address:command:after:)`` and closes: a reply that arrives late would be
/// taken for the next command's.
package struct RESPConnectionStateMachine<Promise> {
    /// A batch of commands and the caller waiting for their replies.
    package struct Request {
        /// Names the request, so that cancelling a call can find it.
        package let id: UInt64
        package let payload: ByteBuffer
        /// The end offset of each command inside `payload`.
        package let ends: [Int]
        package let promise: Promise
        /// The block time of each blocking command, by its index in the request; most requests have none.
        package let blocking: [Int: RESPCommand.Blocking]
        /// Commands of this request written so far.
        var written = 0

        /// Creates a request.
        package init(
            id: UInt64, payload: ByteBuffer, ends: [Int], promise: Promise, blocking: [Int: RESPCommand.Blocking] = [:]
        ) {
            self.id = id
            self.payload = payload
            self.ends = ends
            self.promise = promise
            self.blocking = blocking
        }
    }

    /// The connection's state.
    enum State {
        /// Open: requests are written and answered.
        case connected(Connected)
        /// The machine asked for the channel to close; it is not gone yet. New requests fail with the error.
        case closing(RESPError)
        /// The channel is gone. New requests fail with the error.
        case closed(RESPError)
    }

    /// What an open connection holds.
    struct Connected {
        /// Requests with replies still due, oldest first.
        var awaitingReplies = CircularBuffer<Request>()
        /// The replies of the oldest request that have arrived (kept here, not in the request, so appending
        /// never copies them).
        var headReplies: [RESPValue] = []
        /// Index into `awaitingReplies` of the first request not fully written.
        var firstUnwritten = 0
        /// The size of each written command whose reply has not arrived, oldest first.
        var sizesInFlight = CircularBuffer<Int>()
        var bytesInFlight = 0
        /// Bytes read but not yet decoded.
        var inbound = ByteBuffer()
        var decoder = RESPReplyDecoder()
        /// When the oldest command in flight last saw progress: its write on an idle connection, or bytes read.
        var progressAt = NIODeadline.uptimeNanoseconds(0)
        /// Whether the handler holds a timer that will report ``timerFired(now:)``.
        var timerArmed = false
    }

    /// What to do after a request arrived.
    package enum EnqueueAction {
        /// Write what ``nextWrite()`` returns until it returns nil, then flush.
        case write
        /// The budget is full: the request waits for replies to earlier ones.
        case none
        /// Resume the caller with these replies (an empty batch).
        case succeed(Promise, [RESPValue])
        /// Fail the caller: the connection is closing or closed.
        case fail(Promise, RESPError)
    }

    /// What to do next with the bytes read so far.
    package enum ReadAction {
        /// Resume a caller: every reply of its batch has arrived.
        case succeed(Promise, [RESPValue])
        /// A RESP3 push frame (an invalidation, a Pub/Sub message): it answers no command.
        case push(RESPValue)
        /// Fail these callers, oldest first, with the error, and close the channel.
        case failAndClose([Promise], RESPError)
        /// Nothing more can be decoded until more bytes arrive.
        case needMoreData
    }

    /// What to do after a call was cancelled.
    package enum CancelAction {
        /// The request is not (or no longer) pending: nothing to do.
        case none
        /// Fail the cancelled caller with `CancellationError`; nothing of it was written, so the connection stays.
        case cancel(Promise)
        /// Fail the cancelled caller with `CancellationError` and the others, oldest first, with `error`,
        /// then close: replies still due for what was written would answer the next caller's commands.
        case cancelAndClose(Promise, others: [Promise], error: RESPError)
    }

    /// What to do when the timer fired.
    package enum TimerAction {
        /// Nothing is due: no command is in flight, or the oldest one may block forever.
        case none
        /// Progress moved the deadline on: fire again then.
        case schedule(NIODeadline)
        /// The oldest command was not answered in time: fail these callers, oldest first, and close the channel.
        case failAndClose([Promise], RESPError)
    }

    /// What to do after the channel failed or closed.
    package enum FailAction {
        /// Fail these callers, oldest first, with the error; close the channel when `close` is true.
        case fail([Promise], RESPError, close: Bool)
        /// Nothing was pending and the channel needs no closing.
        case none
    }

    private(set) var state: State
    private let maxBytesInFlight: Int
    /// The bound on answering the oldest command in flight; nil waits for ever.
    private let commandTimeout: TimeAmount?
    /// `host:port`, for the timeout's error.
    private let address: String
    /// Whether any reply arrived: a TLS failure before that means the server could not be reached.
    package private(set) var hasReceivedReply = false

    /// Creates a machine for an open connection to `address`, with a command timeout or none.
    package init(maxBytesInFlight: Int, commandTimeout: TimeAmount? = nil, address: String = "the server") {
        self.maxBytesInFlight = max(1, maxBytesInFlight)
        self.commandTimeout = commandTimeout
        self.address = address
        self.state = .connected(Connected())
    }

    /// True while requests are accepted.
    package var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// A batch arrived to be sent.
    package mutating func enqueue(_ request: Request) -> EnqueueAction {
        switch state {
        case .closing(let error), .closed(let error):
            return .fail(request.promise, error)
        case .connected(var connected):
            if request.ends.isEmpty { return .succeed(request.promise, []) }
            state = .closed(.closed)  // keeps `connected` uniquely referenced, so appending copies nothing
            let idle = connected.firstUnwritten == connected.awaitingReplies.count
            connected.awaitingReplies.append(request)
            state = .connected(connected)
            // Only an idle writer can start at once; otherwise the budget is already held by earlier commands,
            // and the request goes out when their replies free it (``nextWrite()`` after reading).
            return idle && Self.fits(connected, size: Self.size(of: request, command: 0), limit: maxBytesInFlight)
                ? .write : .none
        }
    }

    /// The next slice of commands the budget allows, or nil when nothing more may be written now.
    ///
    /// One slice holds as many consecutive commands of one request as fit; call until nil, then flush, then
    /// ``armTimer()``. A write on an idle connection starts the clock of its first command at `now`.
    package mutating func nextWrite(now: NIODeadline = .now()) -> ByteBuffer? {
        guard case .connected(var connected) = state, connected.firstUnwritten < connected.awaitingReplies.count
        else { return nil }
        state = .closed(.closed)  // keeps `connected` uniquely referenced while it changes
        defer { state = .connected(connected) }
        let index = connected.awaitingReplies.index(
            connected.awaitingReplies.startIndex, offsetBy: connected.firstUnwritten)
        var request = connected.awaitingReplies[index]
        let first = request.written
        let startOffset = first == 0 ? 0 : request.ends[first - 1]
        var next = first
        var end = startOffset
        if connected.sizesInFlight.isEmpty { connected.progressAt = now }
        while next < request.ends.count {
            let size = request.ends[next] - end
            guard Self.fits(connected, size: size, limit: maxBytesInFlight) else { break }
            end = request.ends[next]
            connected.bytesInFlight += size
            connected.sizesInFlight.append(size)
            next += 1
        }
        guard next > first,
            let slice = request.payload.getSlice(
                at: request.payload.readerIndex + startOffset, length: end - startOffset)
        else { return nil }
        request.written = next
        connected.awaitingReplies[index] = request
        if next == request.ends.count { connected.firstUnwritten += 1 }
        return slice
    }

    /// Bytes arrived from the server at `now`; call ``nextRead()`` until it returns `.needMoreData`.
    ///
    /// Any bytes count as progress: the oldest command's clock starts again.
    package mutating func received(_ bytes: ByteBuffer, now: NIODeadline = .now()) {
        guard case .connected(var connected) = state else { return }  // closing: nobody waits for them
        state = .closed(.closed)  // keeps `connected` uniquely referenced while the buffer grows
        connected.progressAt = now
        if connected.inbound.readableBytes == 0 {
            connected.inbound = bytes  // the common case: no partial value waits, so nothing is copied
        } else {
            var bytes = bytes
            connected.inbound.writeBuffer(&bytes)
        }
        state = .connected(connected)
    }

    /// Decodes values from the bytes read so far until one calls for an action, and returns that action.
    package mutating func nextRead() -> ReadAction {
        guard case .connected(var connected) = state, connected.inbound.readableBytes > 0 else {
            return .needMoreData
        }
        state = .closed(.closed)  // keeps `connected` uniquely referenced while decoding
        while true {
            let value: RESPValue?
            do {
                value = try connected.decoder.next(from: &connected.inbound)
            } catch {
                let failure = error as? RESPError ?? .protocolViolation("the reply decoder failed: \(error)")
                return failAll(connected, with: failure)
            }
            guard let value else {
                Self.compact(&connected.inbound)
                state = .connected(connected)
                return .needMoreData
            }
            if case .push = value {
                state = .connected(connected)
                return .push(value)
            }
            hasReceivedReply = true
            guard !connected.sizesInFlight.isEmpty, !connected.awaitingReplies.isEmpty else {
                return failAll(connected, with: .protocolViolation("the server sent a reply that no command asked for"))
            }
            connected.bytesInFlight -= connected.sizesInFlight.removeFirst()
            if connected.headReplies.isEmpty {
                connected.headReplies.reserveCapacity(
                    connected.awaitingReplies[connected.awaitingReplies.startIndex].ends.count)
            }
            connected.headReplies.append(value)
            guard
                connected.headReplies.count
                    == connected.awaitingReplies[connected.awaitingReplies.startIndex].ends.count
            else { continue }
            let request = connected.awaitingReplies.removeFirst()
            let replies = connected.headReplies
            connected.headReplies = []
            connected.firstUnwritten -= 1
            state = .connected(connected)
            return .succeed(request.promise, replies)
        }
    }

    /// When the handler's timer must fire, if a command is in flight and no timer is armed; marks it armed.
    ///
    /// Call after writing and after reading. Nil when no timer is needed now: none is configured, one is
    /// armed already, nothing is in flight, or the oldest command may block forever.
    package mutating func armTimer() -> NIODeadline? {
        guard case .connected(var connected) = state, !connected.timerArmed,
            let deadline = deadline(connected)
        else { return nil }
        connected.timerArmed = true
        state = .connected(connected)
        return deadline
    }

    /// The timer armed by ``armTimer()`` fired at `now`.
    package mutating func timerFired(now: NIODeadline) -> TimerAction {
        guard case .connected(var connected) = state else { return .none }
        connected.timerArmed = false
        guard let deadline = deadline(connected) else {
            state = .connected(connected)
            return .none
        }
        guard deadline <= now else {
            connected.timerArmed = true
            state = .connected(connected)
            return .schedule(deadline)
        }
        let head = connected.awaitingReplies[connected.awaitingReplies.startIndex]
        let index = connected.headReplies.count
        let error = RESPError.commandTimedOut(
            address: address, command: Self.commandName(head, index),
            after: Self.duration(bound(head, index) ?? .zero))
        guard case .failAndClose(let promises, let error) = failAll(connected, with: error) else { return .none }
        return .failAndClose(promises, error)
    }

    /// The deadline of the oldest command in flight; nil when there is none or it has no bound.
    private func deadline(_ connected: Connected) -> NIODeadline? {
        guard commandTimeout != nil, !connected.sizesInFlight.isEmpty, let head = connected.awaitingReplies.first,
            let bound = bound(head, connected.headReplies.count)
        else { return nil }
        return connected.progressAt + bound
    }

    /// How long command `index` of `request` may take to be answered; nil for no bound.
    private func bound(_ request: Request, _ index: Int) -> TimeAmount? {
        guard let commandTimeout else { return nil }
        switch request.blocking[index] {
        case .none: return commandTimeout
        case .forever: return nil
        case .upTo(let blockTime): return commandTimeout + .nanoseconds(Self.nanoseconds(blockTime))
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private static func duration(_ amount: TimeAmount) -> Duration { .nanoseconds(amount.nanoseconds) }

    /// The name of command `index` of `request`, read back from its encoding (`*N`, `$len`, name); never its
    /// arguments, which may hold secrets.
    static func commandName(_ request: Request, _ index: Int) -> String {
        let start = index == 0 ? 0 : request.ends[index - 1]
        let view = request.payload.readableBytesView
        var position = view.startIndex + start
        let end = view.startIndex + request.ends[index]
        func skipLine() {
            while position < end, view[position] != UInt8(ascii: "\n") { position += 1 }
            position += 1
        }
        skipLine()  // *N
        guard position < end, view[position] == UInt8(ascii: "$") else { return "a command" }
        position += 1
        var length = 0
        while position < end, let digit = Optional(view[position]), (0x30...0x39).contains(digit) {
            length = length * 10 + Int(digit - 0x30)
            position += 1
        }
        skipLine()
        guard length > 0, position + length <= end else { return "a command" }
        return String(decoding: view[position..<(position + length)], as: UTF8.self).uppercased()
    }

    /// The call that sent request `id` was cancelled.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        guard case .connected(var connected) = state,
            let position = connected.awaitingReplies.firstIndex(where: { $0.id == id })
        else { return .none }
        let request = connected.awaitingReplies[position]
        if request.written == 0 {
            // Unwritten requests follow every written one, so removing it leaves the pairing intact.
            state = .closed(.closed)  // keeps `connected` uniquely referenced while it changes
            connected.awaitingReplies.remove(at: position)
            state = .connected(connected)
            return .cancel(request.promise)
        }
        let others = connected.awaitingReplies.filter { $0.id != id }.map(\.promise)
        state = .closing(.closed)
        return .cancelAndClose(request.promise, others: others, error: .closed)
    }

    /// The channel reported an error: every pending caller fails with it, and the channel closes.
    package mutating func errorCaught(_ error: RESPError) -> FailAction {
        switch state {
        case .connected(let connected):
            guard case .failAndClose(let promises, let error) = failAll(connected, with: error) else { return .none }
            return .fail(promises, error, close: true)
        case .closing, .closed:
            return .none
        }
    }

    /// The channel is gone (closed by either side, or the handler removed).
    package mutating func closed() -> FailAction {
        switch state {
        case .connected(let connected):
            let promises = connected.awaitingReplies.map(\.promise)
            state = .closed(.closed)
            return promises.isEmpty ? .none : .fail(promises, .closed, close: false)
        case .closing(let error):
            state = .closed(error)
            return .none
        case .closed:
            return .none
        }
    }

    /// Moves to `closing` and returns every pending caller, oldest first, to fail with `error`.
    private mutating func failAll(_ connected: Connected, with error: RESPError) -> ReadAction {
        state = .closing(error)
        return .failAndClose(connected.awaitingReplies.map(\.promise), error)
    }

    private static func fits(_ connected: Connected, size: Int, limit: Int) -> Bool {
        connected.bytesInFlight == 0 || connected.bytesInFlight + size <= limit
    }

    private static func size(of request: Request, command: Int) -> Int {
        request.ends[command] - (command == 0 ? 0 : request.ends[command - 1])
    }

    /// Drops decoded bytes once they are most of a large buffer (an empty buffer is replaced by the next read).
    private static func compact(_ buffer: inout ByteBuffer) {
        let readable = buffer.readableBytes
        if readable > 0 && buffer.readerIndex > 64 << 10 && buffer.readerIndex > readable {
            buffer.discardReadBytes()
        }
    }
}
