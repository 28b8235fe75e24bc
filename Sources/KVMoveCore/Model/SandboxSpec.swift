/// A declared local sandbox: an emulated cloud with its topology and pre-existing instances.
///
/// Written by users as a `kind: Sandbox` document (see `schemas/sandbox.schema.json`) and
/// created by `kvmove sandbox up`.
package struct SandboxSpec: Codable, Hashable, Sendable {
    package var name: String
    package var regions: [SandboxRegion]
    package var vpcs: [SandboxVPC]
    package var instances: [SandboxInstanceSpec]
    /// Where the document and its fields are, for messages.
    package var locations: SpecLocations

    package init(
        name: String,
        regions: [SandboxRegion],
        vpcs: [SandboxVPC],
        instances: [SandboxInstanceSpec],
        locations: SpecLocations = SpecLocations()
    ) {
        self.name = name
        self.regions = regions
        self.vpcs = vpcs
        self.instances = instances
        self.locations = locations
    }
}
