/// A cloud (real or emulated) that kvmove can observe and change.
///
/// A provider is created once per command run, shared by every migration that names it, and
/// shut down when the run ends. Providers use only Core value types.
///
/// Apply works request by request: ``requests(for:in:)`` builds every request a step sends, once;
/// dry-run renders exactly those values and stops there; apply resolves the ids that are known
/// only after earlier steps ran and hands each request to ``send(_:for:in:)``, the transport.
/// Every `send` must be idempotent: apply may send a request again after an interruption at any
/// point, and must converge without duplicates (creates carry an idempotency token).
package protocol Provider: Sendable {
    /// The name specs use in `spec.provider`.
    var name: String { get }

    /// Observes everything the planner needs for these migrations, batching calls where it can.
    ///
    /// Returns one observation per spec, keyed by migration name.
    func observe(_ specs: [MigrationSpec]) async throws -> [String: ObservedMigration]

    /// Builds the requests `step` will send, in order, from the step's planned values.
    ///
    /// Ids that are not known yet are ``ProviderRequest/Value/knownAfterApply(_:)``. Building
    /// must not call the provider's API: dry-run uses it.
    func requests(for step: Step, in context: StepContext) throws -> [ProviderRequest]

    /// Sends one request built by ``requests(for:in:)`` (resolved), and awaits what it awaits.
    func send(_ request: ProviderRequest, for step: Step, in context: StepContext) async throws -> StepOutcome

    /// Releases what the provider holds (HTTP clients, connections). Called once, at the end of a run.
    func shutdown() async
}

extension Provider {
    /// Nothing to release.
    package func shutdown() async {}
}
