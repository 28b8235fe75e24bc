/// What a request produced: ids of resources it created and a one-line summary.
package struct StepOutcome: Hashable, Sendable {
    package var groupId: String?
    package var targetId: String?
    package var summary: String?
    /// The remote side's id of this request, journaled with it.
    package var requestId: String?

    package init(groupId: String? = nil, targetId: String? = nil, summary: String? = nil, requestId: String? = nil) {
        self.groupId = groupId
        self.targetId = targetId
        self.summary = summary
        self.requestId = requestId
    }
}
