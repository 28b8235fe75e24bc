/// The target instance kvmove creates.
package struct TargetSpec: Codable, Hashable, Sendable {
    package var region: String
    package var zone: String
    package var vpcId: String
    package var vSwitchId: String
    package var instanceName: String
    package var billing: Billing

    package init(
        region: String,
        zone: String,
        vpcId: String,
        vSwitchId: String,
        instanceName: String,
        billing: Billing
    ) {
        self.region = region
        self.zone = zone
        self.vpcId = vpcId
        self.vSwitchId = vSwitchId
        self.instanceName = instanceName
        self.billing = billing
    }
}
