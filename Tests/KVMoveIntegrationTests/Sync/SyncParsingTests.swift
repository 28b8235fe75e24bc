import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import NIOCore
import Testing

@Suite("Sync helpers that need no server")
struct SyncParsingTests {
    @Test(
        "keys print as UTF-8 when they can, escaped otherwise",
        arguments: [
            ([UInt8]("user:42".utf8), "user:42"),
            ([UInt8]("ключ".utf8), "ключ"),
            ([0xFF, 0x00, 0x61, 0x5C, 0x22], #""\xff\x00a\\\"""#),
            ([0x61, 0x0A], #""a\x0a""#),
        ])
    func printableKeys(bytes: [UInt8], expected: String) {
        #expect(KeyText.printable(ByteBuffer(bytes: bytes)) == expected)
    }

    @Test("an endpoint shows host, port and TLS, never its password")
    func endpointDescription() {
        var endpoint = RedisEndpoint(port: 6380, username: "app", password: Secret("hunter2"))
        #expect("\(endpoint)" == "127.0.0.1:6380")
        #expect(!"\(endpoint.configuration(role: .verify))".contains("hunter2"))
        endpoint.tls = .on()
        #expect("\(endpoint)" == "127.0.0.1:6380 (tls)")
        #expect(endpoint.configuration(role: .gate).clientName == "kvmove-gate")
        #expect(endpoint.configuration(role: .gate).tls == .on(serverName: nil, caCertificateFile: nil))
    }

    @Test("every role names its connection kvmove-<role>")
    func roles() {
        #expect(
            [ClientRole.verify, .gate, .copy, .sync].map(\.clientName) == [
                "kvmove-verify", "kvmove-gate", "kvmove-copy", "kvmove-sync",
            ])
        #expect(ClientRole.isKVMove(clientName: "kvmove-anything"))
        #expect(!ClientRole.isKVMove(clientName: "orders-api"))
        #expect(!ClientRole.isKVMove(clientName: ""))
    }

    @Test("CLIENT LIST lines become entries")
    func clientList() {
        let text = """
            id=3 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=8 name=kvmove-gate age=12 idle=0 flags=N db=0 \
            cmd=client|list user=default
            id=7 addr=10.0.0.5:41000 laddr=127.0.0.1:6379 fd=9 name= age=0 idle=0 flags=N db=0 cmd=NULL
            id=9 addr=10.0.0.6:6380 laddr=127.0.0.1:6379 fd=10 name= age=40 idle=0 flags=S db=0 cmd=replconf
            not a client line
            """
        let entries = ClientListEntry.parse(text)
        #expect(
            entries == [
                ClientListEntry(
                    id: 3, address: "127.0.0.1:50000", name: "kvmove-gate", command: "client|list", ageSeconds: 12),
                ClientListEntry(id: 7, address: "10.0.0.5:41000", name: "", command: "NULL", ageSeconds: 0),
                ClientListEntry(
                    id: 9, address: "10.0.0.6:6380", name: "", command: "replconf", ageSeconds: 40, flags: "S"),
            ])
        #expect(entries[2].isReplicationLink && !entries[1].isReplicationLink)
        #expect(entries[1].summary == "10.0.0.5:41000 name= cmd=NULL")
        #expect(entries[1].isSettling && !entries[0].isSettling)
    }

    /// A `CLIENT LIST` entry for tracker tests.
    private func client(_ id: Int, _ name: String, cmd: String = "get", age: Int = 5) -> ClientListEntry {
        ClientListEntry(id: id, address: "127.0.0.1:\(50000 + id)", name: name, command: cmd, ageSeconds: age)
    }

    @Test("the idle tracker: kvmove's connections are not traffic, others are, seen or not")
    func idleTracker() {
        var tracker = IdleTracker()
        let gate = client(10, "kvmove-gate", cmd: "client|list")
        let sync = client(4, "kvmove-sync", cmd: "set")
        // The first sample is the baseline.
        #expect(tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync], connectionsReceived: 10)) == .idle)
        // A new kvmove connection explains the counter's growth.
        let copy = client(11, "kvmove-copy")
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync, copy], connectionsReceived: 11)) == .idle)
        // It leaves: nothing new.
        #expect(tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync], connectionsReceived: 11)) == .idle)
        // Two connections opened and closed between samples, unseen.
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync], connectionsReceived: 13))
                == .unseenConnections(2))
        // Reported once: the next quiet sample is idle again.
        #expect(tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync], connectionsReceived: 13)) == .idle)
        // An application that stays connected.
        let app = client(14, "", cmd: "set")
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync, app], connectionsReceived: 14))
                == .clientsConnected(["127.0.0.1:50014 name= cmd=set"]))
        // A connection just accepted, unnamed, with no command yet, is judged later ...
        let settling = client(15, "", cmd: "NULL", age: 0)
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync, settling], connectionsReceived: 15))
                == .idle)
        // ... as kvmove's once it has named itself,
        let named = client(15, "kvmove-verify")
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync, named], connectionsReceived: 15)) == .idle)
        // ... or as an application's when it left before it could be seen.
        let brief = client(16, "", cmd: "NULL", age: 0)
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync, brief], connectionsReceived: 16)) == .idle)
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, sync], connectionsReceived: 16))
                == .unseenConnections(1))
    }

    @Test("a replication link (a replica reading the stream, or the link to a master) is not an application")
    func replicationLinksAreNotApplications() {
        var tracker = IdleTracker()
        let gate = client(10, "kvmove-gate")
        let replica = ClientListEntry(
            id: 4, address: "127.0.0.1:6380", name: "", command: "replconf", ageSeconds: 30, flags: "S")
        let master = ClientListEntry(id: 5, address: "127.0.0.1:6381", name: "", command: "ping", flags: "M")
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, replica, master], connectionsReceived: 10))
                == .idle)
        let app = client(11, "orders-api")
        #expect(
            tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, replica, app], connectionsReceived: 11))
                == .clientsConnected(["127.0.0.1:50011 name=orders-api cmd=get"]))
    }

    @Test("a connection seen in CLIENT LIST before the counter includes it is not counted twice")
    func idleTrackerOrder() {
        var tracker = IdleTracker()
        let gate = client(10, "kvmove-gate")
        #expect(tracker.observe(ClientSnapshot(ownID: 10, clients: [gate], connectionsReceived: 10)) == .idle)
        let early = client(11, "kvmove-copy")
        #expect(tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, early], connectionsReceived: 10)) == .idle)
        #expect(tracker.observe(ClientSnapshot(ownID: 10, clients: [gate, early], connectionsReceived: 11)) == .idle)
    }

    @Test(
        "data-plane errors carry a code and whether to retry",
        arguments: [
            (RESPError.server(RESPServerError(line: "OOM command not allowed")) as any DataPlaneFailure, "OOM", false),
            (RESPError.server(RESPServerError(line: "LOADING Redis is loading")), "LOADING", true),
            (
                RESPError.server(RESPServerError(line: "READONLY You can't write against a read only replica")),
                "READONLY", true
            ),
            (RESPError.server(RESPServerError(line: "WRONGPASS invalid username-password pair")), "WRONGPASS", false),
            (RESPServerError(line: "BUSY Redis is busy running a script"), "BUSY", true),
            (RESPError.unreachable(address: "10.0.0.5:6379", reason: .refused), "ConnectionRefused", true),
            (RESPError.unreachable(address: "10.0.0.5:6379", reason: .timedOut), "Timeout", true),
            (
                RESPError.unreachable(address: "r-x.redis.rds.aliyuncs.com:6379", reason: .hostNotFound),
                "HostNotFound", false
            ),
            (RESPError.unreachable(address: "10.0.0.5:6379", reason: .tlsHandshake("x")), "TLSHandshakeFailed", false),
            (RESPError.closed, "ConnectionClosed", true),
            (RESPError.protocolViolation("x"), "UnexpectedReply", false),
            (SyncError.unexpectedReply(command: "SCAN", reply: "x"), "UnexpectedReply", false),
            (
                SyncError.restoreFailed(database: 0, key: "k", error: RESPServerError(line: "OOM no memory")),
                "RestoreFailed", false
            ),
            (
                SyncError.restoreFailed(database: 0, key: "k", error: RESPServerError(line: "LOADING wait")),
                "RestoreFailed", true
            ),
            (SyncError.unsupportedType(database: 0, key: "k", type: "ReJSON-RL"), "UnsupportedType", false),
        ])
    func failureCodes(failure: any DataPlaneFailure, code: String, retryable: Bool) {
        #expect(failure.code == code)
        #expect(failure.isRetryable == retryable)
        #expect(!failure.message.hasPrefix("(redis)"))
        #expect("\(failure)".contains(failure.message))
    }

    @Test("an unreachable endpoint's error names the address and says what to do")
    func unreachableMessage() {
        let error = RESPError.unreachable(address: "10.0.0.5:6379", reason: .timedOut)
        #expect(
            error.message
                == "cannot connect to 10.0.0.5:6379: no answer within 10s; check the address and that this machine "
                + "can reach it: run kvmove inside the VPC or use a public address")
        #expect("\(error)" == "(redis) " + error.message)
    }

    @Test("report file names carry a UTC stamp")
    func reportStamp() {
        #expect(VerificationReport.fileStamp(Date(timeIntervalSince1970: 1_767_323_045)) == "20260102T030405Z")
    }
}
