/// A vSwitch: a subnet of one VPC in one zone.
package struct ObservedVSwitch: Codable, Hashable, Sendable {
    package var id: String
    package var vpcId: String
    package var zone: String

    package init(id: String, vpcId: String, zone: String) {
        self.id = id
        self.vpcId = vpcId
        self.zone = zone
    }
}
