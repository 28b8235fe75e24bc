/// Batches written to the target strictly in order, one on the wire while the next is prepared.
///
/// ``submit(_:)`` starts a batch behind the one before it and returns once at most one batch is ahead of the
/// new one, so the applier parses and encodes batch N+1 while batch N is on the wire and the target works on
/// it, and never holds more than two batches. A batch starts only after the one before it succeeded: a
/// failure fails every batch after it, and is thrown by the next ``submit(_:)`` or ``drain()``. Waiting is
/// cancellable: cancelling the waiting task cancels the batches (whose connection then closes).
struct BatchPipeline {
    private var last: Task<Void, any Error>?
    private var beforeLast: Task<Void, any Error>?
    /// Called with the error of the first batch that fails, as soon as it fails (to wake the applier).
    private let onFailure: @Sendable (any Error) -> Void

    /// Creates a pipeline; `onFailure` hears of a failed batch at once, before ``submit(_:)`` or ``drain()``.
    init(onFailure: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.onFailure = onFailure
    }

    /// Starts `batch` once the batch before it has succeeded; waits while two batches are ahead of it.
    mutating func submit(_ batch: @escaping @Sendable () async throws -> Void) async throws {
        if let beforeLast { try await wait(beforeLast) }
        let previous = last
        let onFailure = onFailure
        last = Task {
            if let previous { try await previous.value }
            try Task.checkCancellation()
            do {
                try await batch()
            } catch {
                onFailure(error)
                throw error
            }
        }
        beforeLast = previous
    }

    /// Waits until every submitted batch is written; throws the first failure.
    mutating func drain() async throws {
        defer {
            last = nil
            beforeLast = nil
        }
        if let last { try await wait(last) }
    }

    /// Cancels the batches not finished yet.
    func cancel() {
        last?.cancel()
        beforeLast?.cancel()
    }

    private func wait(_ task: Task<Void, any Error>) async throws {
        let tasks = [last, beforeLast]
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            for task in tasks { task?.cancel() }
        }
    }
}
