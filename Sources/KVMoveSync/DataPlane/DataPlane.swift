import Foundation
import KVMoveRESP

/// The data plane of one migration: what kvmove does over Redis with a source and a target.
///
/// Every provider (the local sandbox, the Alibaba Cloud provider) builds one from the two endpoints it
/// knows how to reach and uses it for the same work, so verification, the cutover gates and their
/// reports behave alike everywhere:
///
/// - ``verify(options:progress:)`` compares the two key by key (``Verifier``) and returns a
///   ``VerificationReport``, which ``VerificationReport/write(toDirectory:migration:date:)`` stores.
/// - ``waitForIdleSource(for:pollInterval:progress:)`` runs the idle gate on the source (``SourceIdleGate``).
/// - ``copy(options:progress:)`` copies every key from source to target (``ScanCopier``).
///
/// The lag gate (`cutover.maxLag`) is ``LagGate`` with a probe that fits the channel: ``ChannelLagProbe`` for
/// kvmove's own (offsets), ``SentinelLagProbe`` for a channel kvmove cannot see into (the cloud's).
///
/// Every connection it opens is named `kvmove-<role>`. Errors it throws are ``DataPlaneFailure``s,
/// or `CancellationError` when the calling task is cancelled.
package struct DataPlane: Sendable {
    /// The server data comes from.
    package var source: RedisEndpoint
    /// The server data goes to.
    package var target: RedisEndpoint

    /// A data plane between `source` and `target`.
    package init(source: RedisEndpoint, target: RedisEndpoint) {
        self.source = source
        self.target = target
    }

    /// Compares source and target key by key, both ways; `progress` counts keys scanned on either side.
    ///
    /// `catchUp` waits until the group's channel has carried everything written so far, before keys that
    /// differed are compared again (``Verifier/run(progress:catchUp:)``).
    package func verify(
        options: Verifier.Options = Verifier.Options(),
        catchUp: (@Sendable () async throws -> Void)? = nil,
        progress: @escaping @Sendable (_ keysDone: Int, _ keysTotal: Int) -> Void
    ) async throws -> VerificationReport {
        try await Verifier(source: source, target: target, options: options).run(progress: progress, catchUp: catchUp)
    }

    /// Waits until the source has had no application connected for `required` (see ``SourceIdleGate``).
    package func waitForIdleSource(
        for required: Duration,
        pollInterval: Duration = .seconds(1),
        progress: @Sendable (IdleGateProgress) -> Void
    ) async throws -> IdleGateResult {
        try await SourceIdleGate(endpoint: source).wait(for: required, pollInterval: pollInterval, progress: progress)
    }

    /// Copies every key from source to target; idempotent (see ``ScanCopier``).
    package func copy(
        options: ScanCopier.Options = ScanCopier.Options(),
        progress: @escaping @Sendable (CopyProgress) -> Void
    ) async throws -> CopyReport {
        try await ScanCopier(source: source, target: target, options: options).run(progress: progress)
    }
}
