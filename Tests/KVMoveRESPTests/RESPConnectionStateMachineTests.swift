import NIOCore
import Testing

@testable import KVMoveRESP

/// The request/reply state machine, event by event, with no channel: promises are plain names.
@Suite("RESP connection state machine")
struct RESPConnectionStateMachineTests {
    typealias Machine = RESPConnectionStateMachine<String>

    /// A request named `name` holding `commands` encoded back to back.
    static func request(_ id: UInt64, _ name: String, _ commands: [RESPCommand]) -> Machine.Request {
        var payload = ByteBuffer()
        var ends: [Int] = []
        for command in commands {
            command.encode(into: &payload)
            ends.append(payload.readableBytes)
        }
        return Machine.Request(id: id, payload: payload, ends: ends, promise: name)
    }

    /// Everything `nextWrite()` allows now, as text.
    static func drainWrites(_ machine: inout Machine) -> [String] {
        var writes: [String] = []
        while let slice = machine.nextWrite() { writes.append(String(buffer: slice)) }
        return writes
    }

    /// What reading `bytes` leads to, as readable lines.
    static func read(_ machine: inout Machine, _ bytes: String) -> [String] {
        machine.received(ByteBuffer(string: bytes))
        return drainReads(&machine)
    }

    static func drainReads(_ machine: inout Machine) -> [String] {
        var actions: [String] = []
        while true {
            switch machine.nextRead() {
            case .succeed(let name, let replies):
                actions.append("\(name): " + replies.map(describe).joined(separator: ", "))
            case .push(let value):
                actions.append("push \(describe(value))")
            case .failAndClose(let names, let error):
                actions.append("fail \(names) \(kind(of: error)) and close")
                return actions
            case .needMoreData:
                return actions
            }
        }
    }

    static func describe(_ value: RESPValue) -> String {
        switch value {
        case .error(let error): "-\(error.code)"
        case .integer(let number): ":\(number)"
        case .null: "null"
        case .array(let values), .push(let values): "[" + values.map(describe).joined(separator: " ") + "]"
        default: value.string ?? "\(value)"
        }
    }

    static func kind(of error: RESPError) -> String {
        switch error {
        case .closed: "closed"
        case .protocolViolation: "protocolViolation"
        case .connection: "connection"
        case .server: "server"
        case .unreachable: "unreachable"
        case .commandTimedOut: "commandTimedOut"
        case .streamIdle: "streamIdle"
        }
    }

    static let set = RESPCommand("SET", "a", "1")
    static let get = RESPCommand("GET", "a")
    static let replies = "+OK\r\n$1\r\n1\r\n-ERR unknown command\r\n*2\r\n:7\r\n$-1\r\n"

    @Test("a batch is written as one slice and resumed once, with every reply in order")
    func batchInOrder() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        guard case .write = machine.enqueue(Self.request(1, "p", [Self.set, Self.get, RESPCommand("BAD")])) else {
            Issue.record("an idle connection writes at once")
            return
        }
        #expect(
            Self.drainWrites(&machine) == [
                "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$3\r\nBAD\r\n"
            ])
        #expect(Self.read(&machine, "+OK\r\n$1\r\n1\r\n") == [])
        #expect(Self.read(&machine, "-ERR unknown command\r\n") == ["p: OK, 1, -ERR"])
    }

    @Test("replies split at every byte boundary, and fed one byte at a time, resume the same callers the same way")
    func everySplit() {
        let bytes = Array(Self.replies.utf8)
        let expected = ["first: OK, 1", "second: -ERR, [:7 null]"]
        func fresh() -> Machine {
            var machine = Machine(maxBytesInFlight: 1 << 20)
            _ = machine.enqueue(Self.request(1, "first", [Self.set, Self.get]))
            _ = machine.enqueue(Self.request(2, "second", [RESPCommand("BAD"), RESPCommand("EXEC")]))
            _ = Self.drainWrites(&machine)
            return machine
        }
        for split in 0...bytes.count {
            var machine = fresh()
            var actions: [String] = []
            machine.received(ByteBuffer(bytes: bytes[..<split]))
            actions += Self.drainReads(&machine)
            machine.received(ByteBuffer(bytes: bytes[split...]))
            actions += Self.drainReads(&machine)
            #expect(actions == expected, "split at byte \(split)")
        }
        var machine = fresh()
        var actions: [String] = []
        for byte in bytes {
            machine.received(ByteBuffer(bytes: [byte]))
            actions += Self.drainReads(&machine)
        }
        #expect(actions == expected)
    }

    @Test("a large pipeline answered in one read resumes its caller once, without recursion")
    func largePipeline() {
        var machine = Machine(maxBytesInFlight: 64 << 20)
        _ = machine.enqueue(Self.request(1, "big", Array(repeating: RESPCommand("PING"), count: 100_000)))
        _ = Self.drainWrites(&machine)
        machine.received(ByteBuffer(string: String(repeating: "+PONG\r\n", count: 100_000)))
        guard case .succeed(let name, let replies) = machine.nextRead() else {
            Issue.record("expected the batch to complete")
            return
        }
        #expect(name == "big")
        #expect(replies.count == 100_000)
        guard case .needMoreData = machine.nextRead() else {
            Issue.record("nothing more to read")
            return
        }
    }

    @Test("the byte budget holds commands back until replies free it, across batches and in order")
    func budget() {
        // Each GET of a one-letter key is 22 bytes: one fits in 30 bytes, two do not.
        var machine = Machine(maxBytesInFlight: 30)
        let gets = ["a", "b", "c"].map { RESPCommand("GET", RESPArgument($0)) }
        guard case .write = machine.enqueue(Self.request(1, "first", Array(gets[0..<2]))) else {
            Issue.record("an idle connection writes at once")
            return
        }
        #expect(Self.drainWrites(&machine) == ["*2\r\n$3\r\nGET\r\n$1\r\na\r\n"])
        guard case .none = machine.enqueue(Self.request(2, "second", [gets[2]])) else {
            Issue.record("a busy budget holds the next batch")
            return
        }
        #expect(Self.drainWrites(&machine) == [])
        #expect(Self.read(&machine, "$1\r\nA\r\n") == [])
        #expect(Self.drainWrites(&machine) == ["*2\r\n$3\r\nGET\r\n$1\r\nb\r\n"])
        #expect(Self.read(&machine, "$1\r\nB\r\n") == ["first: A, B"])
        #expect(Self.drainWrites(&machine) == ["*2\r\n$3\r\nGET\r\n$1\r\nc\r\n"])
        #expect(Self.read(&machine, "$1\r\nC\r\n") == ["second: C"])
    }

    @Test("one command bigger than the budget is still written when nothing is in flight")
    func oversizedCommand() {
        var machine = Machine(maxBytesInFlight: 1)
        _ = machine.enqueue(Self.request(1, "p", [Self.set]))
        #expect(Self.drainWrites(&machine).count == 1)
        #expect(Self.read(&machine, "+OK\r\n") == ["p: OK"])
    }

    @Test("an empty batch is answered at once and writes nothing")
    func emptyBatch() {
        var machine = Machine(maxBytesInFlight: 100)
        guard case .succeed(let name, let replies) = machine.enqueue(Self.request(1, "empty", [])) else {
            Issue.record("expected an immediate answer")
            return
        }
        #expect(name == "empty" && replies.isEmpty)
        #expect(Self.drainWrites(&machine) == [])
    }

    @Test("a push frame answers no command: it is handed back on its own, between replies")
    func pushBetweenReplies() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        _ = machine.enqueue(Self.request(1, "p", [Self.set, Self.get]))
        _ = Self.drainWrites(&machine)
        #expect(
            Self.read(&machine, "+OK\r\n>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n$1\r\n1\r\n")
                == ["push [invalidate [k]]", "p: OK, 1"])
        #expect(machine.isConnected)
    }

    @Test("a push frame while nothing is pending is handed back and keeps the connection")
    func pushWhileIdle() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        #expect(Self.read(&machine, ">2\r\n+message\r\n$2\r\nhi\r\n") == ["push [message hi]"])
        #expect(machine.isConnected)
    }

    @Test("a reply no command asked for closes the connection with a protocol violation; later calls fail with it")
    func unsolicitedReply() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        _ = machine.enqueue(Self.request(1, "p", [Self.get]))
        _ = Self.drainWrites(&machine)
        #expect(Self.read(&machine, "$1\r\n1\r\n+OK\r\n") == ["p: 1", "fail [] protocolViolation and close"])
        #expect(!machine.isConnected)
        guard case .fail(let name, let error) = machine.enqueue(Self.request(2, "later", [Self.get])) else {
            Issue.record("a closing connection fails new calls")
            return
        }
        #expect(name == "later" && Self.kind(of: error) == "protocolViolation")
        #expect(Self.drainWrites(&machine) == [])
        guard case .none = machine.closed() else {
            Issue.record("nothing left to fail once the channel is gone")
            return
        }
    }

    @Test("bytes that are not RESP fail every pending call, oldest first, and close")
    func garbage() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        _ = machine.enqueue(Self.request(1, "a", [Self.get, Self.get]))
        _ = machine.enqueue(Self.request(2, "b", [Self.get]))
        _ = Self.drainWrites(&machine)
        #expect(Self.read(&machine, "$1\r\n1\r\n?garbage\r\n") == ["fail [\"a\", \"b\"] protocolViolation and close"])
    }

    @Test("an error fails every pending call in order, written or held back by the budget, and closes")
    func errorFailsAllInOrder() {
        var machine = Machine(maxBytesInFlight: 30)
        _ = machine.enqueue(Self.request(1, "a", [Self.get, Self.get]))
        _ = machine.enqueue(Self.request(2, "b", [Self.get]))
        _ = machine.enqueue(Self.request(3, "c", [Self.get]))
        _ = Self.drainWrites(&machine)
        #expect(Self.read(&machine, "$1\r\n1\r\n") == [])
        guard case .fail(let names, let error, let close) = machine.errorCaught(.connection("reset by peer")) else {
            Issue.record("expected the pending calls to fail")
            return
        }
        #expect(names == ["a", "b", "c"])
        #expect(Self.kind(of: error) == "connection")
        #expect(close)
        // The channel closing afterwards fails nothing twice; later calls fail with the first error.
        guard case .none = machine.closed() else {
            Issue.record("nothing is failed twice")
            return
        }
        guard case .fail(_, let later) = machine.enqueue(Self.request(4, "d", [Self.get])) else {
            Issue.record("a closed connection fails new calls")
            return
        }
        #expect(Self.kind(of: later) == "connection")
        #expect(Self.read(&machine, "$1\r\n1\r\n") == [])
    }

    @Test("the channel going away fails pending calls with closed, oldest first")
    func closedFailsPending() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        _ = machine.enqueue(Self.request(1, "a", [Self.get]))
        _ = machine.enqueue(Self.request(2, "b", [Self.get]))
        _ = Self.drainWrites(&machine)
        guard case .fail(let names, let error, let close) = machine.closed() else {
            Issue.record("expected the pending calls to fail")
            return
        }
        #expect(names == ["a", "b"] && Self.kind(of: error) == "closed" && !close)
    }

    @Test("cancelling a call whose commands were written fails it, fails the others with closed, and closes")
    func cancelWritten() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        _ = machine.enqueue(Self.request(1, "a", [Self.get]))
        _ = machine.enqueue(Self.request(2, "b", [Self.get]))
        _ = machine.enqueue(Self.request(3, "c", [Self.get]))
        _ = Self.drainWrites(&machine)
        guard case .cancelAndClose(let name, let others, let error) = machine.cancel(2) else {
            Issue.record("a written call cannot leave quietly")
            return
        }
        #expect(name == "b" && others == ["a", "c"] && Self.kind(of: error) == "closed")
        #expect(!machine.isConnected)
        // Its reply arriving later resumes nobody.
        #expect(Self.read(&machine, "$1\r\n1\r\n") == [])
    }

    @Test("cancelling a call the budget held back drops it alone; the connection goes on, pairing intact")
    func cancelHeldBack() {
        var machine = Machine(maxBytesInFlight: 30)
        _ = machine.enqueue(Self.request(1, "a", [Self.get]))
        _ = machine.enqueue(Self.request(2, "b", [RESPCommand("GET", "b")]))
        _ = machine.enqueue(Self.request(3, "c", [RESPCommand("GET", "c")]))
        #expect(Self.drainWrites(&machine) == ["*2\r\n$3\r\nGET\r\n$1\r\na\r\n"])
        guard case .cancel(let name) = machine.cancel(2) else {
            Issue.record("an unwritten call leaves quietly")
            return
        }
        #expect(name == "b")
        #expect(machine.isConnected)
        #expect(Self.read(&machine, "$1\r\nA\r\n") == ["a: A"])
        #expect(Self.drainWrites(&machine) == ["*2\r\n$3\r\nGET\r\n$1\r\nc\r\n"])
        #expect(Self.read(&machine, "$1\r\nC\r\n") == ["c: C"])
    }

    @Test("cancelling a call that already completed, or is unknown, does nothing")
    func cancelFinished() {
        var machine = Machine(maxBytesInFlight: 1 << 20)
        _ = machine.enqueue(Self.request(1, "a", [Self.get]))
        _ = Self.drainWrites(&machine)
        #expect(Self.read(&machine, "$1\r\n1\r\n") == ["a: 1"])
        guard case .none = machine.cancel(1), case .none = machine.cancel(99) else {
            Issue.record("nothing to cancel")
            return
        }
        #expect(machine.isConnected)
    }

    @Test("a partly written batch cancelled mid-budget closes: some of its commands are on the wire")
    func cancelPartlyWritten() {
        var machine = Machine(maxBytesInFlight: 30)
        _ = machine.enqueue(Self.request(1, "a", [Self.get, RESPCommand("GET", "b")]))
        #expect(Self.drainWrites(&machine).count == 1)
        guard case .cancelAndClose(let name, let others, _) = machine.cancel(1) else {
            Issue.record("a partly written call cannot leave quietly")
            return
        }
        #expect(name == "a" && others.isEmpty)
        #expect(Self.drainWrites(&machine) == [])
    }
}
