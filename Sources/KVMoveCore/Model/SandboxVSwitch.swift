/// A vSwitch: one zone of one VPC.
package struct SandboxVSwitch: Codable, Hashable, Sendable {
    package var id: String
    package var zone: String

    package init(id: String, zone: String) {
        self.id = id
        self.zone = zone
    }
}
