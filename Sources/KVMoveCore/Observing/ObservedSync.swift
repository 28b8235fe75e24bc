/// The state of the sync channel into the target.
package struct ObservedSync: Codable, Hashable, Sendable {
    /// Where the channel is.
    package enum Phase: String, Codable, Hashable, Sendable {
        /// Cloning and full sync are running.
        case initializing
        /// Full sync finished; changes flow both ways in real time.
        case synchronized
        /// The channel broke and needs attention.
        case failed
    }

    package var phase: Phase
    /// 0…1 while initializing, when the provider knows.
    package var progress: Double?
    /// A short provider message, such as the failure reason.
    package var message: String?

    package init(phase: Phase, progress: Double? = nil, message: String? = nil) {
        self.phase = phase
        self.progress = progress
        self.message = message
    }
}
