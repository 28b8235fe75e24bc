/// A region and its zones.
package struct SandboxRegion: Codable, Hashable, Sendable {
    package var id: String
    package var zones: [String]

    package init(id: String, zones: [String]) {
        self.id = id
        self.zones = zones
    }
}
