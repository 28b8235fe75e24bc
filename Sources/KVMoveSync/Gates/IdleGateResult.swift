/// How a passed idle gate ended.
package struct IdleGateResult: Sendable, Hashable {
    /// How long the source was idle when the gate passed (at least the required time).
    package var idleSeconds: Double
    /// The required idle time.
    package var requiredSeconds: Double
    /// Samples taken during the whole wait.
    package var samples: Int
    /// One line: "source idle for 5s: no application connected".
    package var summary: String

    /// Creates a result.
    package init(idleSeconds: Double, requiredSeconds: Double, samples: Int, summary: String) {
        self.idleSeconds = idleSeconds
        self.requiredSeconds = requiredSeconds
        self.samples = samples
        self.summary = summary
    }
}
