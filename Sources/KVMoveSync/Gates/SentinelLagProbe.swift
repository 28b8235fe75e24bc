import KVMoveRESP

/// Measures a channel's lag that kvmove cannot see into (the cloud's): a sentinel key's trip from source to target.
///
/// One measurement writes `key` on the source with a value of its own (and a one-minute expiry, so nothing
/// is left behind if kvmove stops), then polls the target until it reads that value. ``close()`` deletes
/// the key on the source (the deletion travels through the channel too). It keeps one connection to each
/// side, named `kvmove-gate`, so the idle gate does not count it as an application.
package actor SentinelLagProbe {
    private let source: RedisEndpoint
    private let target: RedisEndpoint
    private let key: String
    private var sourceConnection: RESPConnection?
    private var targetConnection: RESPConnection?
    private var counter = 0
    private let run = UInt64.random(in: 0...UInt64.max)

    /// Creates a probe that writes `key` (for example `kvmove:lag:<migration>`).
    package init(source: RedisEndpoint, target: RedisEndpoint, key: String) {
        self.source = source
        self.target = target
        self.key = key
    }

    /// How long the sentinel took to arrive; nil when it did not within `limit`.
    package func measure(limit: Duration) async throws -> Duration? {
        if sourceConnection == nil { sourceConnection = try await source.connect(role: .gate) }
        if targetConnection == nil { targetConnection = try await target.connect(role: .gate) }
        guard let sourceSide = sourceConnection, let targetSide = targetConnection else { return nil }
        counter += 1
        let value = "\(String(run, radix: 16))-\(counter)"
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await sourceSide.send(RESPCommand("SET", RESPArgument(key), RESPArgument(value), "PX", 60_000))
        while true {
            if try await targetSide.send(RESPCommand("GET", RESPArgument(key))).string == value {
                return clock.now - start
            }
            if clock.now - start >= limit { return nil }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Deletes the sentinel on the source and closes both connections.
    package func close() async {
        if let sourceConnection { _ = try? await sourceConnection.send(RESPCommand("DEL", RESPArgument(key))) }
        await sourceConnection?.close()
        await targetConnection?.close()
        sourceConnection = nil
        targetConnection = nil
    }
}
