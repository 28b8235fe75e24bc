/// Batches written to the target while the next ones are prepared: in order, or several at once.
///
/// ``submit(ordered:_:)`` with `ordered` starts a batch only once the batch before it succeeded, and returns
/// once at most one batch is ahead of the new one: the applier parses and encodes batch N+1 while batch N is
/// on the wire, and the target applies them strictly in order (the command stream). Without `ordered` up to
/// ``unorderedDepth`` batches are on the wire at once, in any order (snapshot keys: each `RESTORE … REPLACE`
/// writes a key no other batch writes). A failure is thrown by the next ``submit(ordered:_:)`` or
/// ``drain()``, fails the ordered batches after it, and is reported at once to `onFailure`. Waiting is
/// cancellable: cancelling the waiting task cancels the batches (whose connection then closes).
package struct BatchPipeline {
    /// Unordered batches on the wire at once.
    package static let unorderedDepth = 4

    private var tasks: [Task<Void, any Error>] = []
    /// Called with the error of a batch that fails, as soon as it fails (to wake the applier).
    private let onFailure: @Sendable (any Error) -> Void

    /// Creates a pipeline; `onFailure` hears of a failed batch at once, before the next submit or drain.
    package init(onFailure: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.onFailure = onFailure
    }

    /// Starts `batch`, behind the batch before it when `ordered`; waits while too many are ahead of it.
    package mutating func submit(ordered: Bool = true, _ batch: @escaping @Sendable () async throws -> Void)
        async throws
    {
        let depth = ordered ? 2 : Self.unorderedDepth
        while tasks.count >= depth {
            try await wait(tasks.removeFirst())
        }
        let previous = ordered ? tasks.last : nil
        let onFailure = onFailure
        tasks.append(
            Task {
                if let previous { try await previous.value }
                try Task.checkCancellation()
                do {
                    try await batch()
                } catch {
                    onFailure(error)
                    throw error
                }
            })
    }

    /// Waits until every submitted batch is written; throws the first failure.
    package mutating func drain() async throws {
        while !tasks.isEmpty {
            try await wait(tasks.removeFirst())
        }
    }

    /// Cancels the batches not finished yet.
    package func cancel() {
        for task in tasks { task.cancel() }
    }

    private func wait(_ task: Task<Void, any Error>) async throws {
        let tasks = self.tasks + [task]
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            for task in tasks { task.cancel() }
        }
    }
}
