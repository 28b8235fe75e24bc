/// An active-active group.
package struct ObservedGroup: Codable, Hashable, Sendable {
    package var id: String
    package var name: String
    /// Member instance ids, first member first.
    package var members: [String]
    package var tags: [String: String]
    /// Most members the group may have; nil when the provider sets no limit.
    package var memberLimit: Int?
    /// The zone of each member the provider could see, by member id; nil when not observed.
    package var memberZones: [String: String]?

    package init(
        id: String, name: String, members: [String], tags: [String: String] = [:], memberLimit: Int? = nil,
        memberZones: [String: String]? = nil
    ) {
        self.id = id
        self.name = name
        self.members = members
        self.tags = tags
        self.memberLimit = memberLimit
        self.memberZones = memberZones
    }

    package var createdByMigration: String? { tags[Tags.migration] }
}
