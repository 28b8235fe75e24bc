import KVMoveRESP

/// The cutover gate "the source has had no application traffic for a while": waits until it holds.
///
/// The gate keeps one connection to the source open for the whole wait, named `kvmove-gate`, and about
/// once per poll interval takes a sample with one pipelined round trip: `CLIENT ID`, `INFO stats` and
/// `CLIENT LIST`. A sample is idle when both hold:
///
/// - (a) no connected client has a name that does not start with `kvmove`. kvmove names every connection
///   it opens (`kvmove-verify`, `kvmove-copy`, `kvmove-sync`, `kvmove-gate`, …), its replica connections
///   included, so none of them counts; an unnamed or otherwise named client counts, whatever it does,
///   except a replication link (`flags` `S` or `M`: a replica reading the stream, such as a cloud's own
///   sync channel or standby, or the server's link to its master), which carries no application traffic.
/// - (b) no connection came and went between two samples unseen: the growth of
///   `total_connections_received` since the first sample is compared with the number of new client ids
///   (above the largest id of the first sample; ids only grow) that have appeared in `CLIENT LIST`; when
///   the surplus grows, a connection opened and closed in between, and it is taken to be an application's.
///
/// A connection accepted less than a second before a sample that has neither a name nor a first command
/// yet is judged at the next sample (it may be a kvmove connection whose `CLIENT SETNAME` the server has
/// not read yet): by (a) if it is still there unnamed, by (b) if it is gone (see ``IdleTracker``).
///
/// Idle time counts from the first idle sample after the last sample that was not, and the gate passes
/// once it has lasted `required`. What is **not** counted: commands and writes of any kind, on any
/// connection (`CLIENT LIST` of Redis 7.0 shows no per-connection command count, and kvmove's own sync
/// channel writes to the source). An application that stays connected is always seen by (a); one that connects, works and
/// leaves within one poll interval is seen by (b). What **is** counted although it is kvmove: a kvmove
/// connection that opens and closes between two samples cannot be told from an application's, and
/// resets the timer (kvmove's long-lived connections, such as the channel's, do not).
///
/// The wait checks task cancellation between samples and during each sample, so a caller's timeout or
/// Ctrl-C ends it promptly with `CancellationError`.
package struct SourceIdleGate: Sendable {
    /// The source server.
    package var endpoint: RedisEndpoint

    /// A gate on `endpoint`.
    package init(endpoint: RedisEndpoint) {
        self.endpoint = endpoint
    }

    /// Waits until the source has been idle for `required`, sampling about once per `pollInterval`.
    ///
    /// `progress` is called after every sample. Throws when the source cannot be reached or the probe
    /// connection breaks (a `DataPlaneFailure`), and `CancellationError` when the task is cancelled.
    package func wait(
        for required: Duration,
        pollInterval: Duration = .seconds(1),
        progress: @Sendable (IdleGateProgress) -> Void
    ) async throws -> IdleGateResult {
        let connection = try await endpoint.connect(role: .gate)
        do {
            let result = try await wait(on: connection, for: required, pollInterval: pollInterval, progress: progress)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    private func wait(
        on connection: RESPConnection,
        for required: Duration,
        pollInterval: Duration,
        progress: @Sendable (IdleGateProgress) -> Void
    ) async throws -> IdleGateResult {
        let clock = ContinuousClock()
        let requiredSeconds = max(0, required.inSeconds)
        let requiredText = SecondsText.format(Int(requiredSeconds.rounded(.up)))
        var tracker = IdleTracker()
        var idleSince: ContinuousClock.Instant?
        var samples = 0
        while true {
            try Task.checkCancellation()
            let sampledAt = clock.now
            let snapshot = try await Self.sample(connection)
            samples += 1
            switch tracker.observe(snapshot) {
            case .idle:
                let since = idleSince ?? sampledAt
                idleSince = since
                let idle = (sampledAt - since).inSeconds
                progress(
                    IdleGateProgress(
                        idleSeconds: idle, requiredSeconds: requiredSeconds, isIdle: true, otherClients: [],
                        message: "source idle for \(SecondsText.format(Int(idle))) of \(requiredText)"))
                if sampledAt - since >= required {
                    return IdleGateResult(
                        idleSeconds: idle, requiredSeconds: requiredSeconds, samples: samples,
                        summary: "source idle for \(requiredText): no application connected")
                }
            case .clientsConnected(let clients):
                idleSince = nil
                let count = clients.count
                progress(
                    IdleGateProgress(
                        idleSeconds: 0, requiredSeconds: requiredSeconds, isIdle: false, otherClients: clients,
                        message: "\(count) client\(count == 1 ? "" : "s") connected: "
                            + clients.prefix(3).joined(separator: ", ") + (count > 3 ? ", …" : "")))
            case .unseenConnections(let count):
                idleSince = nil
                progress(
                    IdleGateProgress(
                        idleSeconds: 0, requiredSeconds: requiredSeconds, isIdle: false, otherClients: [],
                        message: count == 1
                            ? "an application connected and left since the last check"
                            : "\(count) application connections opened and closed since the last check"))
            }
            // Sample again after one interval, or exactly when the required idle time is reached.
            var next = sampledAt + pollInterval
            if let idleSince { next = min(next, idleSince + required) }
            try await clock.sleep(until: next)
        }
    }

    /// Takes one sample: `CLIENT ID`, then `INFO stats` before `CLIENT LIST`, in one round trip.
    ///
    /// Read in this order, every connection the counter includes that is still open is in the list.
    static func sample(_ connection: RESPConnection) async throws -> ClientSnapshot {
        let replies = try await connection.pipeline([
            RESPCommand("CLIENT", "ID"), RESPCommand("INFO", "stats"), RESPCommand("CLIENT", "LIST"),
        ])
        for reply in replies {
            if let error = reply.serverError { throw RESPError.server(error) }
        }
        guard replies.count == 3, let ownID = replies[0].int else {
            throw SyncError.unexpectedReply(command: "CLIENT ID", reply: "\(replies.first ?? .null)")
        }
        let stats = RedisInfo.fields(replies[1].string ?? "")
        guard let received = stats["total_connections_received"].flatMap({ Int($0) }) else {
            throw SyncError.unexpectedReply(command: "INFO stats", reply: "no total_connections_received field")
        }
        guard let list = replies[2].string else {
            throw SyncError.unexpectedReply(command: "CLIENT LIST", reply: "\(replies[2])")
        }
        return ClientSnapshot(
            ownID: Int(ownID), clients: ClientListEntry.parse(list), connectionsReceived: received)
    }
}
