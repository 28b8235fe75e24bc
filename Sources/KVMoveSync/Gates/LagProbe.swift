/// Something that measures how far a channel is behind, for ``LagGate``.
package protocol LagProbe: Sendable {
    /// How long a write made on the source now takes to be on the target; nil when not within `limit`.
    func measure(limit: Duration) async throws -> Duration?
    /// Releases what the probe holds (connections, a sentinel key).
    func close() async
}

extension ChannelLagProbe: LagProbe {}
extension SentinelLagProbe: LagProbe {}

extension LagGate {
    /// Samples `probe` until the gate passes, checking `interrupted` before each sample; closes the probe.
    package func wait(
        using probe: some LagProbe,
        interrupted: @escaping () throws -> Void,
        progress: (Sample) -> Void
    ) async throws -> Sample {
        do {
            let sample = try await wait(
                probe: { limit in
                    try interrupted()
                    return try await probe.measure(limit: limit)
                },
                progress: progress)
            await probe.close()
            return sample
        } catch {
            await probe.close()
            throw error
        }
    }
}
