/// A VPC.
package struct ObservedVPC: Codable, Hashable, Sendable {
    package var id: String
    package var region: String

    package init(id: String, region: String) {
        self.id = id
        self.region = region
    }
}
