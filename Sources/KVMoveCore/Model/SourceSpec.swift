/// The source instance, as the user identifies it.
package struct SourceSpec: Codable, Hashable, Sendable {
    /// Region id, for example `cn-hangzhou`.
    package var region: String
    /// Instance id, for example `r-bp1zxszhcgatnx0001`.
    package var instanceId: String

    package init(region: String, instanceId: String) {
        self.region = region
        self.instanceId = instanceId
    }
}
