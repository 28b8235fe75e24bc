import KVMoveSecret
import NIOCore
import NIOEmbedded
import Testing

@testable import KVMoveRESP

/// The command timeout, event by event: deadlines are plain values, the timer is whatever the test fires.
@Suite("RESP command timeout")
struct RESPConnectionTimeoutTests {
    typealias Machine = RESPConnectionStateMachine<String>
    typealias Base = RESPConnectionStateMachineTests

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    static func machine(timeout: TimeAmount? = .seconds(30)) -> Machine {
        Machine(maxBytesInFlight: 1 << 20, commandTimeout: timeout, address: "10.0.0.7:6379")
    }

    /// A request of `commands` with their block times, as ``RESPConnection`` builds it.
    static func request(_ id: UInt64, _ name: String, _ commands: [RESPCommand]) -> Machine.Request {
        let plain = Base.request(id, name, commands)
        var blocking: [Int: RESPCommand.Blocking] = [:]
        for (index, command) in commands.enumerated() { blocking[index] = command.blocking }
        return Machine.Request(id: id, payload: plain.payload, ends: plain.ends, promise: name, blocking: blocking)
    }

    static func write(_ machine: inout Machine, at now: NIODeadline) {
        while machine.nextWrite(now: now) != nil {}
    }

    @Test("a command not answered within the timeout fails every caller, names server and command, and closes")
    func timesOut() {
        var machine = Self.machine()
        _ = machine.enqueue(Self.request(1, "a", [RESPCommand("AUTH", "app", "hunter2")]))
        _ = machine.enqueue(Self.request(2, "b", [RESPCommand("GET", "k")]))
        Self.write(&machine, at: Self.at(0))
        #expect(machine.armTimer() == Self.at(30))
        #expect(machine.armTimer() == nil, "one timer at a time")
        guard case .failAndClose(let names, let error) = machine.timerFired(now: Self.at(30)) else {
            Issue.record("the deadline passed")
            return
        }
        #expect(names == ["a", "b"])
        guard case .commandTimedOut(let address, let command, let after) = error else {
            Issue.record("expected a command timeout, got \(error)")
            return
        }
        #expect(address == "10.0.0.7:6379" && command == "AUTH" && after == .seconds(30))
        #expect(!error.description.contains("hunter2") && !error.description.contains("app"))
        #expect(
            error.description.hasPrefix(
                "(redis) 10.0.0.7:6379 did not answer AUTH within 30s, so the connection was closed"))
        #expect(error.description.contains("spec.connection.commandTimeout"))
        #expect(!machine.isConnected)
        // The late reply resumes nobody, and later calls fail with the timeout.
        #expect(Base.read(&machine, "+OK\r\n") == [])
        guard case .fail(_, let later) = machine.enqueue(Self.request(3, "c", [Base.get])) else {
            Issue.record("a timed-out connection takes no more commands")
            return
        }
        #expect(Base.kind(of: later) == "commandTimedOut")
    }

    @Test("before the deadline the timer is only moved on; replies and partial bytes count as progress")
    func progressMovesTheDeadline() {
        var machine = Self.machine()
        _ = machine.enqueue(Self.request(1, "a", [Base.get, RESPCommand("SET", "k", "v"), Base.get]))
        Self.write(&machine, at: Self.at(0))
        #expect(machine.armTimer() == Self.at(30))
        machine.received(ByteBuffer(string: "$1\r\n1\r\n"), now: Self.at(20))
        #expect(Base.drainReads(&machine) == [])
        guard case .schedule(let next) = machine.timerFired(now: Self.at(30)) else {
            Issue.record("the second command has had 10 s only")
            return
        }
        #expect(next == Self.at(50))
        // Half a reply is progress too: the server is sending.
        machine.received(ByteBuffer(string: "+O"), now: Self.at(45))
        #expect(Base.drainReads(&machine) == [])
        guard case .schedule(let later) = machine.timerFired(now: Self.at(50)) else {
            Issue.record("bytes arrived at 45 s")
            return
        }
        #expect(later == Self.at(75))
        machine.received(ByteBuffer(string: "K\r\n"), now: Self.at(46))
        #expect(Base.drainReads(&machine) == [])
        guard case .failAndClose(let names, .commandTimedOut(_, let command, _)) = machine.timerFired(now: Self.at(76))
        else {
            Issue.record("the third command was never answered")
            return
        }
        #expect(names == ["a"] && command == "GET")
    }

    @Test("once everything is answered the timer fires for nothing and the next write arms it again")
    func idleDisarms() {
        var machine = Self.machine()
        _ = machine.enqueue(Self.request(1, "a", [Base.get]))
        Self.write(&machine, at: Self.at(0))
        #expect(machine.armTimer() == Self.at(30))
        machine.received(ByteBuffer(string: "$1\r\n1\r\n"), now: Self.at(1))
        #expect(Base.drainReads(&machine) == ["a: 1"])
        #expect(machine.armTimer() == nil, "still armed")
        guard case .none = machine.timerFired(now: Self.at(30)) else {
            Issue.record("nothing is in flight")
            return
        }
        #expect(machine.armTimer() == nil, "nothing to time")
        _ = machine.enqueue(Self.request(2, "b", [Base.get]))
        Self.write(&machine, at: Self.at(100))
        #expect(machine.armTimer() == Self.at(130))
        #expect(machine.isConnected)
    }

    @Test("a blocking command gets its block time on top of the timeout; one that blocks forever has no bound")
    func blockingCommands() {
        var machine = Self.machine()
        _ = machine.enqueue(Self.request(1, "pop", [RESPCommand("BLPOP", "queue", "45")]))
        Self.write(&machine, at: Self.at(0))
        #expect(machine.armTimer() == Self.at(75))
        machine.received(ByteBuffer(string: "*-1\r\n"), now: Self.at(45))
        #expect(Base.drainReads(&machine) == ["pop: null"])
        _ = machine.timerFired(now: Self.at(75))

        var forever = Self.machine()
        _ = forever.enqueue(Self.request(1, "wait", [RESPCommand("BLPOP", "queue", "0"), Base.get]))
        Self.write(&forever, at: Self.at(0))
        #expect(forever.armTimer() == nil)
        forever.received(ByteBuffer(string: "*2\r\n$5\r\nqueue\r\n$1\r\nx\r\n"), now: Self.at(500))
        #expect(Base.drainReads(&forever) == [])
        #expect(forever.armTimer() == Self.at(530), "the GET behind it is timed from the BLPOP's reply")
    }

    @Test("without a timeout nothing is ever armed")
    func noTimeout() {
        var machine = Self.machine(timeout: nil)
        _ = machine.enqueue(Self.request(1, "a", [Base.get]))
        Self.write(&machine, at: Self.at(0))
        #expect(machine.armTimer() == nil)
        guard case .none = machine.timerFired(now: Self.at(10_000)) else {
            Issue.record("no deadline without a timeout")
            return
        }
        #expect(machine.isConnected)
    }

    @Test(
        "the block time of each blocking command",
        arguments: [
            (RESPCommand("BLPOP", "a", "b", "2.5"), RESPCommand.Blocking.upTo(.milliseconds(2500))),
            (RESPCommand("brpop", "a", 1), .upTo(.seconds(1))),
            (RESPCommand("BLMOVE", "a", "b", "LEFT", "RIGHT", "0"), .forever),
            (RESPCommand("BRPOPLPUSH", "a", "b", "3"), .upTo(.seconds(3))),
            (RESPCommand("BZPOPMIN", "z", "0.1"), .upTo(.milliseconds(100))),
            (RESPCommand("BLMPOP", "4", "1", "a", "LEFT"), .upTo(.seconds(4))),
            (RESPCommand("BZMPOP", "0", "1", "z", "MIN"), .forever),
            (RESPCommand("WAIT", "1", "1500"), .upTo(.milliseconds(1500))),
            (RESPCommand("WAITAOF", "1", "0", "0"), .forever),
            (RESPCommand("XREAD", "COUNT", "1", "block", "250", "STREAMS", "s", "$"), .upTo(.milliseconds(250))),
            (
                RESPCommand("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
                RESPCommand.Blocking.forever
            ),
        ])
    func blockTimes(command: RESPCommand, expected: RESPCommand.Blocking) {
        #expect(command.blocking == expected)
    }

    @Test(
        "commands that do not block",
        arguments: [
            RESPCommand("GET", "a"), RESPCommand("XREAD", "STREAMS", "s", "0"), RESPCommand("BLPOP", "a", "soon"),
            RESPCommand("BITCOUNT", "a"), RESPCommand("WATCH", "a"),
        ])
    func notBlocking(command: RESPCommand) {
        #expect(command.blocking == nil)
    }

    @Test("through a channel: the timer runs on the event loop, fails the call and closes the channel")
    func throughChannel() async throws {
        let channel = NIOAsyncTestingChannel()
        let handler = try await channel.eventLoop.submit {
            try RESPConnection.addHandlers(
                to: channel, maxBytesInFlight: 1 << 20, commandTimeout: .seconds(2), address: "127.0.0.1:6379")
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        let connection = RESPConnection(channel: channel, handler: handler, configuration: .init(port: 6379))
        async let reply = connection.send(RESPCommand("GET", "k"))
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(1999))
        #expect(channel.isActive, "not yet")
        await channel.testingEventLoop.advanceTime(by: .milliseconds(1))
        do {
            _ = try await reply
            Issue.record("expected a timeout")
        } catch RESPError.commandTimedOut(let address, let command, let after) {
            #expect(address == "127.0.0.1:6379" && command == "GET" && after == .seconds(2))
        }
        try await channel.closeFuture.get()
    }
}

/// The replication stream's idle timeout, event by event.
@Suite("RESP stream idle timeout")
struct IdleReadStateMachineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test("silence while a read is wanted drops the connection; bytes move the deadline on")
    func silence() {
        var machine = IdleReadStateMachine(timeout: .seconds(60))
        #expect(machine.active(now: Self.at(0)) == Self.at(60))
        #expect(machine.readRequested(now: Self.at(0)) == nil, "already armed")
        machine.read(now: Self.at(10))
        #expect(machine.readRequested(now: Self.at(10)) == nil)
        #expect(machine.timerFired(now: Self.at(60)) == .schedule(Self.at(70)))
        #expect(machine.timerFired(now: Self.at(70)) == .drop(.seconds(60)))
        #expect(machine.timerFired(now: Self.at(200)) == .none, "dropped once")
    }

    @Test("a consumer holding reading back is not the server's silence")
    func backpressure() {
        var machine = IdleReadStateMachine(timeout: .seconds(60))
        _ = machine.active(now: Self.at(0))
        _ = machine.readRequested(now: Self.at(0))
        machine.read(now: Self.at(1))  // then no read is requested: the consumer is behind
        #expect(machine.timerFired(now: Self.at(61)) == .none)
        // Reading is wanted again at 100 s: the silence counts from then.
        #expect(machine.readRequested(now: Self.at(100)) == Self.at(160))
        #expect(machine.timerFired(now: Self.at(159)) == .schedule(Self.at(160)))
        #expect(machine.timerFired(now: Self.at(160)) == .drop(.seconds(60)))
    }

    @Test("a closed connection needs no timer")
    func closed() {
        var machine = IdleReadStateMachine(timeout: .seconds(1))
        _ = machine.active(now: Self.at(0))
        _ = machine.closed()
        #expect(machine.timerFired(now: Self.at(5)) == .none)
        #expect(machine.readRequested(now: Self.at(5)) == nil)
    }
}
