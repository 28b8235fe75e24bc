/// An active-active group.
package struct ObservedGroup: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    /// Member instance ids, first member first.
    package var members: [String]
    package var tags: [String: String]

    package init(id: String, name: String, members: [String], tags: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.members = members
        self.tags = tags
    }

    package var createdByMigration: String? { tags[Tags.migration] }
}
