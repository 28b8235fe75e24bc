/// A vSwitch: a subnet of one VPC in one zone.
package struct ObservedVSwitch: Codable, Hashable, Sendable {
    package var id: String
    package var vpcId: String
    package var zone: String
    /// Its IPv4 address range, such as `172.16.0.0/24`, when the provider reports it.
    package var cidrBlock: String?

    package init(id: String, vpcId: String, zone: String, cidrBlock: String? = nil) {
        self.id = id
        self.vpcId = vpcId
        self.zone = zone
        self.cidrBlock = cidrBlock
    }
}
