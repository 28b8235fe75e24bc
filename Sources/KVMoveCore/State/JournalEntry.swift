import Foundation

/// One line of a migration's journal (`<state>/journal/<migration>.jsonl`).
package struct JournalEntry: Codable, Hashable, Sendable {
    /// What happened.
    package enum Event: String, Codable, Hashable, Sendable {
        case applyStarted = "apply-started"
        case stepStarted = "step-started"
        /// A provider operation id (an order, a task) the step reported.
        case operation
        /// A request was sent: its action, request id and result.
        case request
        case stepFinished = "step-finished"
        case stepFailed = "step-failed"
        case interrupted
        case applyFinished = "apply-finished"
    }

    package var time: String
    package var migration: String
    package var event: Event
    package var step: String?
    package var operationId: String?
    /// For ``Event/request``, the action sent (`service Action`).
    package var action: String?
    /// For ``Event/request``, the remote side's request id, when it gave one.
    package var requestId: String?
    /// For ``Event/request``, which try this was: 1 for the first, 2 for the first retry, and so on.
    package var attempt: Int?
    /// For a failed request or step, the provider error code.
    package var errorCode: String?
    package var message: String?
    package var elapsedSeconds: Double?

    package init(
        time: String,
        migration: String,
        event: Event,
        step: String? = nil,
        operationId: String? = nil,
        action: String? = nil,
        requestId: String? = nil,
        attempt: Int? = nil,
        errorCode: String? = nil,
        message: String? = nil,
        elapsedSeconds: Double? = nil
    ) {
        self.time = time
        self.migration = migration
        self.event = event
        self.step = step
        self.operationId = operationId
        self.action = action
        self.requestId = requestId
        self.attempt = attempt
        self.errorCode = errorCode
        self.message = message
        self.elapsedSeconds = elapsedSeconds
    }
}
