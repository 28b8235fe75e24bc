/// Progress of a long step, as the provider knows it.
package struct StepProgress: Codable, Hashable, Sendable {
    /// 0…1 when known.
    package var fraction: Double?
    package var message: String

    package init(fraction: Double? = nil, message: String) {
        self.fraction = fraction
        self.message = message
    }
}
