/// What a request produced: ids of resources it created and a one-line summary.
package struct StepOutcome: Hashable, Sendable {
    package var groupId: String?
    package var targetId: String?
    package var summary: String?
    /// The remote side's id of this request, journaled with it.
    package var requestId: String?
    /// Something the user must know although the step is done (for example a resource the cloud did not
    /// remove in time, and what to do about it); shown as a warning and journaled.
    package var warning: String?

    package init(
        groupId: String? = nil, targetId: String? = nil, summary: String? = nil, requestId: String? = nil,
        warning: String? = nil
    ) {
        self.groupId = groupId
        self.targetId = targetId
        self.summary = summary
        self.requestId = requestId
        self.warning = warning
    }
}
