/// How far each direction of a two-way channel is behind a goal taken once: the offsets both members had
/// reached then.
///
/// Drain (`disconnect-sync`) and verification's catch-up both read the goal once and poll ``behind(_:)``
/// until it is zero both ways. Each direction is measured by its ``ChannelLagProbe`` (checkpoint and
/// position name); a group whose reverse direction never joined is measured one way.
package struct TwoWayProbe: Sendable {
    /// What the members had written when the goal was taken; `target` is nil when measured one way.
    package struct Goal: Sendable {
        package var source: Int64
        package var target: Int64?
    }

    private let forward: ChannelLagProbe
    private let reverse: ChannelLagProbe?

    /// A probe of both directions of `channel`, or of the forward one only when `twoWay` is false.
    package init(_ channel: TwoWayChannel, twoWay: Bool) {
        forward = ChannelLagProbe(channel.forward)
        reverse = twoWay ? ChannelLagProbe(channel.reverse) : nil
    }

    /// Whether the reverse direction is measured too.
    package var isTwoWay: Bool { reverse != nil }

    /// The members' offsets now.
    package func goal() async throws -> Goal {
        Goal(source: try await forward.sourceOffset(), target: try await reverse?.sourceOffset())
    }

    /// Bytes each direction still has to apply to reach `goal` (0 when there).
    package func behind(_ goal: Goal) async throws -> (source: Int64, target: Int64) {
        let source = max(0, goal.source - (try await forward.appliedOffset() ?? -1))
        guard let target = goal.target, let reverse else { return (source, 0) }
        return (source, max(0, target - (try await reverse.appliedOffset() ?? -1)))
    }

    /// Closes the probes' connections.
    package func close() async {
        await forward.close()
        await reverse?.close()
    }
}
