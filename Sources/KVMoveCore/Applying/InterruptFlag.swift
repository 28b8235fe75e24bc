import Synchronization

/// Set once by a signal handler; read by the applier between provider calls.
package final class InterruptFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    package init() {}

    /// Asks apply to stop after the current provider call.
    package func raise() { raised.store(true, ordering: .sequentiallyConsistent) }

    /// True once ``raise()`` was called.
    package var isRaised: Bool { raised.load(ordering: .sequentiallyConsistent) }
}
