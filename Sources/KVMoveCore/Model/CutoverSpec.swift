/// Gates that must pass before sync is disconnected.
package struct CutoverSpec: Codable, Hashable, Sendable {
    /// The source must have had no client traffic for this many seconds.
    package var requireIdleSourceSeconds: Int?
    /// The channel must be less than this many seconds behind the source (`cutover.maxLag`).
    package var maxLagSeconds: Int?
    /// The source must have had no application writes for this many seconds (`cutover.requireNoSourceWrites`):
    /// writes that did not come through the group's own channel from the target.
    package var requireNoSourceWritesSeconds: Int?

    package init(
        requireIdleSourceSeconds: Int? = nil, maxLagSeconds: Int? = nil, requireNoSourceWritesSeconds: Int? = nil
    ) {
        self.requireIdleSourceSeconds = requireIdleSourceSeconds
        self.maxLagSeconds = maxLagSeconds
        self.requireNoSourceWritesSeconds = requireNoSourceWritesSeconds
    }

    /// True when no gate is declared.
    package var isEmpty: Bool {
        requireIdleSourceSeconds == nil && maxLagSeconds == nil && requireNoSourceWritesSeconds == nil
    }
}
