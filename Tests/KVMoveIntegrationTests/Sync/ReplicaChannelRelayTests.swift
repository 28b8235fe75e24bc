import KVMoveRESP
import KVMoveSync
import NIOCore
import Synchronization
import Testing

/// The relayed full sync: the target made a replica of a one-time listener in kvmove for the snapshot, loading
/// it natively, then made a primary again, with the stream applied after it as before.
@Suite(
    "Live sync channel: relayed full sync", .enabled(if: RedisServerFixture.shouldRun, RedisServerFixture.skipReason))
struct ReplicaChannelRelayTests {
    static func seed(_ source: RedisServerFixture, count: Int) async throws {
        let connection = try await source.connect()
        for start in stride(from: 0, to: count, by: 1000) {
            _ = try await connection.pipeline(
                (start..<min(count, start + 1000)).map {
                    RESPCommand("SET", RESPArgument("seed:\($0)"), RESPArgument($0))
                })
        }
        await connection.close()
    }

    static func role(_ server: RedisServerFixture) async throws -> String? {
        let connection = try await server.connect()
        let info = try await connection.send(RESPCommand("INFO", "replication")).string ?? ""
        await connection.close()
        return RedisInfo.fields(info)["role"]
    }

    @Test("the target loads the snapshot itself, ends a primary with its masterauth back, and every write arrives")
    func relayed() async throws {
        try await RedisServerFixture.with(arguments: channelSourceArguments) { source in
            try await RedisServerFixture.with(arguments: ["--masterauth", "the-target's-own"]) { target in
                try await Self.seed(source, count: 20_000)
                let control = try await source.connect()
                // Five minutes left, under this channel's ten-minute margin: the snapshot moves its expiry out,
                // so the stream could still renew it however long the full sync takes.
                _ = try await control.send(RESPCommand("SET", "soon", "x", "PX", "300000"))
                let writer = AcknowledgedWriter(source)
                let writing = Task { try await writer.run() }
                let status = ChannelStatus()
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "relay",
                    options: ReplicaChannel.Options(ttlMarginMilliseconds: 600_000, relayHost: "127.0.0.1"))
                let running = Task { try await channel.run(status: status) }
                try await waitUntil("streaming", timeout: .seconds(60)) { status.snapshot.phase == .streaming }
                try await Task.sleep(for: .milliseconds(300))
                writer.stop.store(true, ordering: .relaxed)
                try await writing.value
                try await waitCaughtUp(source, status)
                try await expectAllArrived(writer, source: source, target: target)
                let snapshot = status.snapshot
                #expect(snapshot.fullSyncMethod == .relay)
                #expect(snapshot.fullSyncs == 1)
                #expect(snapshot.fullSyncKeys >= 20_001)
                #expect(snapshot.fullSyncKeysKeptLonger == 1)
                #expect(snapshot.errorReplies == 0)
                #expect(try await Self.role(target) == "master")
                let targetControl = try await target.connect()
                let auth = try await targetControl.send(RESPCommand("CONFIG", "GET", "masterauth"))
                #expect(auth.pairs?.first?.value.string == "the-target's-own")
                let sourceExpiry = try await control.send(RESPCommand("PEXPIRETIME", "soon")).int ?? 0
                let targetExpiry = try await targetControl.send(RESPCommand("PEXPIRETIME", "soon")).int ?? 0
                #expect(
                    targetExpiry - sourceExpiry > 200_000,
                    "kept at least the margin: \(targetExpiry - sourceExpiry) ms longer")
                // When the source deletes it (its expiry would do the same), the DEL reaches the target.
                _ = try await control.send(RESPCommand("DEL", "soon"))
                try await waitUntil("the source's DEL reaches the target", timeout: .seconds(10)) {
                    try await targetControl.send(RESPCommand("EXISTS", "soon")).int == 0
                }
                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                await targetControl.close()
                await control.close()
                running.cancel()
                _ = await running.result
            }
        }
    }

    @Test("a target that refuses REPLICAOF gets the snapshot through RESTORE instead")
    func refusedFallsBack() async throws {
        try await RedisServerFixture.with(arguments: channelSourceArguments) { source in
            try await RedisServerFixture.with(arguments: ["--rename-command", "REPLICAOF", ""]) { target in
                try await Self.seed(source, count: 3000)
                let status = ChannelStatus()
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "fallback",
                    options: ReplicaChannel.Options(relayHost: "127.0.0.1"))
                let running = Task { try await channel.run(status: status) }
                try await waitCaughtUp(source, status)
                #expect(status.snapshot.fullSyncMethod == .restore)
                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                running.cancel()
                _ = await running.result
            }
        }
    }

    @Test("a target that cannot reach the relay (it replicates over TLS) gets RESTORE from then on, and says why")
    func unreachableRelayFallsBack() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        try await RedisServerFixture.with(arguments: channelSourceArguments) { source in
            try await RedisServerFixture.with(arguments: ["--tls-replication", "yes"], tls: certificates.serverFiles) {
                target in
                try await Self.seed(source, count: 3000)
                let status = ChannelStatus()
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "tls",
                    options: ReplicaChannel.Options(relayHost: "127.0.0.1", relayConnectTimeout: .seconds(2)))
                let running = Task { try await channel.run(status: status) }
                try await waitCaughtUp(source, status, timeout: .seconds(60))
                let snapshot = status.snapshot
                #expect(snapshot.fullSyncMethod == .restore)
                #expect(snapshot.fullSyncs == 2, "one relayed attempt, then RESTORE")
                #expect(snapshot.relayUnavailable?.contains("did not connect to the relay") == true)
                #expect(try await Self.role(target) == "master")
                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                running.cancel()
                _ = await running.result
            }
        }
    }

    @Test("cancelled in the middle of a relayed snapshot, then run again: the target is a primary, nothing is lost")
    func cancelledMidRelay() async throws {
        try await RedisServerFixture.with(arguments: channelSourceArguments) { source in
            try await RedisServerFixture.with { target in
                try await Self.seed(source, count: 200_000)
                let writer = AcknowledgedWriter(source)
                let writing = Task { try await writer.run() }
                let status = ChannelStatus()
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "cut",
                    options: ReplicaChannel.Options(relayHost: "127.0.0.1"))
                let first = Task { try await channel.run(status: status) }
                try await waitUntil("the relay is sending the snapshot", timeout: .seconds(60)) {
                    let snapshot = status.snapshot
                    return snapshot.fullSyncMethod == .relay && snapshot.fullSyncKeys > 0
                }
                first.cancel()
                _ = await first.result
                let again = ChannelStatus()
                let second = Task { try await channel.run(status: again) }
                try await waitUntil("streaming again", timeout: .seconds(60)) { again.snapshot.phase == .streaming }
                writer.stop.store(true, ordering: .relaxed)
                try await writing.value
                try await waitCaughtUp(source, again, timeout: .seconds(60))
                try await expectAllArrived(writer, source: source, target: target)
                #expect(try await Self.role(target) == "master")
                second.cancel()
                _ = await second.result
            }
        }
    }

    @Test("a target left a replica of a relay that is gone (kill -9) is made a primary and synced")
    func leftoverReplica() async throws {
        try await RedisServerFixture.with(arguments: channelSourceArguments) { source in
            try await RedisServerFixture.with { target in
                try await Self.seed(source, count: 2000)
                let targetControl = try await target.connect()
                _ = try await targetControl.send(RESPCommand("REPLICAOF", "127.0.0.1", "1"))
                await targetControl.close()
                let status = ChannelStatus()
                let channel = ReplicaChannel(
                    source: source.endpoint, target: target.endpoint, name: "leftover",
                    options: ReplicaChannel.Options(relayHost: "127.0.0.1"))
                let running = Task { try await channel.run(status: status) }
                try await waitCaughtUp(source, status)
                #expect(try await Self.role(target) == "master")
                #expect(status.snapshot.fullSyncMethod == .relay)
                let report = try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                #expect(report.passed, "\(report.summary)")
                running.cancel()
                _ = await running.result
            }
        }
    }
}
