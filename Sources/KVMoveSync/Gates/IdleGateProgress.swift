/// What the idle gate saw at one sample, for a progress line.
package struct IdleGateProgress: Sendable, Hashable {
    /// How long the source has been idle so far; 0 when this sample was not idle.
    package var idleSeconds: Double
    /// How long it must be idle for the gate to pass.
    package var requiredSeconds: Double
    /// Whether this sample was idle.
    package var isIdle: Bool
    /// `addr name=… cmd=…` of each connected client not named `kvmove…`.
    package var otherClients: [String]
    /// One line for a person: "source idle for 3s of 5s", "2 clients connected: …",
    /// "an application connected and left since the last check".
    package var message: String

    /// Creates a progress value.
    package init(idleSeconds: Double, requiredSeconds: Double, isIdle: Bool, otherClients: [String], message: String) {
        self.idleSeconds = idleSeconds
        self.requiredSeconds = requiredSeconds
        self.isIdle = isIdle
        self.otherClients = otherClients
        self.message = message
    }

    /// How far the wait has come (0…1) while the source is idle; nil while it is not.
    package var fraction: Double? {
        guard isIdle else { return nil }
        return requiredSeconds > 0 ? min(1, idleSeconds / requiredSeconds) : 1
    }
}
