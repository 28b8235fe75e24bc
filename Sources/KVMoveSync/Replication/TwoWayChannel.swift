/// Two live channels between the same two servers, one each way: the sandbox's active-active group.
///
/// The forward direction (``forward``) is an ordinary ``ReplicaChannel`` from the source into the target:
/// full sync, then the stream. The reverse direction (``reverse``) is a replica of the target that applies
/// the target's writes to the source. It never copies the target's dataset: it joins once the forward
/// direction has finished its full sync (or at once when it has a checkpoint already), at the target's
/// position then, and carries only what happens after that.
///
/// **No echoes.** Each direction names the other as its peer (``ReplicaChannel/Options/peerName``): every
/// batch a direction applies is one transaction that sets its checkpoint key, the receiving server
/// propagates it as one block with that key in it, and the other direction passes such blocks over. So a
/// write is applied once on the other member and never comes back, whatever the command (`MULTI`/`EXEC`
/// blocks and scripts included), and applications need to do nothing.
///
/// **No overwrite.** Once the reverse direction has joined, neither direction starts again from a full
/// copy: it continues from its checkpoint or stops with a ``TwoWayError``.
package struct TwoWayChannel: Sendable {
    package var forward: ReplicaChannel
    package var reverse: ReplicaChannel
    /// Which keys were written on both members before either saw the other's write (``WriteLedger``).
    package let ledger: WriteLedger

    /// The reverse direction's name for a group's channel `name`: its checkpoint key in the source is
    /// `__kvmove:sync:<name>:reverse`.
    package static func reverseName(_ name: String) -> String { name + ":reverse" }

    /// Creates the two directions between `source` and `target`; `options` are the forward direction's.
    ///
    /// The reverse direction takes the same tuning but never relays or applies a snapshot.
    package init(source: RedisEndpoint, target: RedisEndpoint, name: String, options: ReplicaChannel.Options = .init())
    {
        let reverseName = Self.reverseName(name)
        var forwardOptions = options
        forwardOptions.peerName = reverseName
        forwardOptions.streamOnly = false
        let ledger = WriteLedger()
        self.ledger = ledger
        forwardOptions.ledger = (ledger, .forward)
        var reverseOptions = options
        reverseOptions.ledger = (ledger, .reverse)
        reverseOptions.peerName = name
        reverseOptions.streamOnly = true
        reverseOptions.relayHost = nil
        forward = ReplicaChannel(source: source, target: target, name: name, options: forwardOptions)
        reverse = ReplicaChannel(source: target, target: source, name: reverseName, options: reverseOptions)
    }

    /// The stops of both directions; requesting it drains both.
    package struct Stop: Sendable {
        package let forward = ChannelStop()
        package let reverse = ChannelStop()

        package init() {}

        /// Stops both directions after they applied what they read.
        package func request() {
            forward.request()
            reverse.request()
        }

        package var isRequested: Bool { forward.isRequested && reverse.isRequested }
    }

    /// Runs both directions until both stop (``Stop/request()``), one fails, or the task is cancelled.
    ///
    /// The reverse direction waits for the forward one to stream, unless it holds a checkpoint already. A
    /// direction that fails for a reason that needs attention ends both, with its error.
    package func run(
        forward forwardStatus: ChannelStatus, reverse reverseStatus: ChannelStatus, stop: Stop? = nil,
        retryDelay: Duration = .milliseconds(500)
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await forward.run(status: forwardStatus, stop: stop?.forward, retryDelay: retryDelay)
            }
            group.addTask {
                guard try await waitForJoin(forwardStatus, stop: stop) else { return }
                do {
                    try await reverse.run(status: reverseStatus, stop: stop?.reverse, retryDelay: retryDelay)
                } catch let error as any DataPlaneFailure {
                    throw ReverseDirectionFailure(channel: reverse.name, underlying: error)
                }
            }
            do {
                // The first failure ends both directions (waitForAll would wait for the other one first).
                while try await group.next() != nil {}
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Waits until the reverse direction may run; false when a stop came first.
    ///
    /// It may run once the forward direction streams, or at once when it joined before (its checkpoint is
    /// in the source).
    private func waitForJoin(_ forwardStatus: ChannelStatus, stop: Stop?) async throws -> Bool {
        var checked = false
        while true {
            try Task.checkCancellation()
            if stop?.reverse.isRequested == true { return false }
            if forwardStatus.snapshot.phase == .streaming { return true }
            if !checked, (try? await reverse.appliedPosition()) != nil { return true }
            checked = true
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A failure of the reverse direction, named as such: in it, the target is the one read and the source the
/// one written.
package struct ReverseDirectionFailure: DataPlaneFailure {
    package var channel: String
    package var underlying: any DataPlaneFailure

    package var description: String {
        let text = underlying.description
        let body = text.hasPrefix("(redis) ") ? String(text.dropFirst(8)) : text
        if underlying is TwoWayError { return "(redis) " + body }
        return "(redis) the reverse direction \(channel) (the target's writes, applied to the source) stopped: "
            + body.replacing("the target refused", with: "the source refused")
            .replacing("from the source's stream", with: "from the target's stream")
    }

    package var code: String { underlying.code }

    package var message: String { String(description.dropFirst(8)) }

    package var isRetryable: Bool { underlying.isRetryable }
}
