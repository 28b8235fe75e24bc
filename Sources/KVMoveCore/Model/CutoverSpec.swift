/// Gates that must pass before sync is disconnected.
package struct CutoverSpec: Codable, Hashable, Sendable {
    /// The source must have had no client traffic for this many seconds.
    package var requireIdleSourceSeconds: Int?

    package init(requireIdleSourceSeconds: Int? = nil) {
        self.requireIdleSourceSeconds = requireIdleSourceSeconds
    }

    /// True when no gate is declared.
    package var isEmpty: Bool { requireIdleSourceSeconds == nil }
}
