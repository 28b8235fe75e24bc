/// The source instance, as the user identifies it.
package struct SourceSpec: Codable, Hashable, Sendable {
    /// Region id, for example `cn-hangzhou`.
    package var region: String
    /// Instance id, for example `r-bp1zxszhcgatnx0001`.
    package var instanceId: String
    /// What `stage: complete` does when the source is on subscription billing; nil: not said (refused then).
    package var whenPrePaid: PrePaidSourcePolicy?

    package init(region: String, instanceId: String, whenPrePaid: PrePaidSourcePolicy? = nil) {
        self.region = region
        self.instanceId = instanceId
        self.whenPrePaid = whenPrePaid
    }
}
