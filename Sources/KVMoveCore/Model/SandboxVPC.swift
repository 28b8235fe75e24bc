/// A VPC and its vSwitches.
package struct SandboxVPC: Codable, Hashable, Sendable {
    package var id: String
    package var region: String
    package var vSwitches: [SandboxVSwitch]

    package init(id: String, region: String, vSwitches: [SandboxVSwitch]) {
        self.id = id
        self.region = region
        self.vSwitches = vSwitches
    }
}
