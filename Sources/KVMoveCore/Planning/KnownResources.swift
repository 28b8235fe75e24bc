/// Resource ids a step needs; filled at plan time where known and during apply as steps create them.
package struct KnownResources: Codable, Hashable, Sendable {
    package var sourceId: String
    package var groupId: String?
    package var targetId: String?

    package init(sourceId: String, groupId: String? = nil, targetId: String? = nil) {
        self.sourceId = sourceId
        self.groupId = groupId
        self.targetId = targetId
    }

    /// The id of `reference`, when known.
    package func id(of reference: ResourceReference) -> String? {
        switch reference {
        case .group: groupId
        case .target: targetId
        }
    }
}
