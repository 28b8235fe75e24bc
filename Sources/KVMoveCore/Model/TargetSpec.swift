/// The target instance kvmove creates.
package struct TargetSpec: Codable, Hashable, Sendable {
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    package var instanceName: String
    package var billing: Billing
    /// The whitelist groups the target must have, by group name: IPv4 addresses and CIDR blocks.
    ///
    /// Groups not
    /// named here are left as they are; nil when the spec says nothing (the target keeps what it gets).
    package var securityIps: [String: [String]]?

    package init(
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        instanceName: String,
        billing: Billing,
        securityIps: [String: [String]]? = nil
    ) {
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.instanceName = instanceName
        self.billing = billing
        self.securityIps = securityIps
    }
}
