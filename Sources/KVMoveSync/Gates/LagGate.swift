import Foundation

/// The `cutover.maxLag` gate: passes once the channel is less than the allowed lag behind, sample after sample.
///
/// Each sample asks a probe how long a write made on the source now takes to be on the target (for
/// kvmove's own channel: from reading the source's offset until the target's checkpoint reaches it; for a
/// cloud channel: a sentinel key's round trip). The gate passes after ``samplesRequired`` samples in a row
/// under ``maxLag``; one sample at or over it starts the count again. A probe that runs longer than the
/// limit counts as over it. The wait has no deadline of its own: it reports progress and ends when passed
/// or when its task is cancelled (Ctrl-C).
package struct LagGate: Sendable {
    /// The lag a sample must stay under.
    package var maxLag: Duration
    /// Samples in a row that must be under ``maxLag``.
    package var samplesRequired: Int
    /// Pause between samples.
    package var interval: Duration

    /// Creates a gate.
    package init(maxLag: Duration, samplesRequired: Int = 3, interval: Duration = .milliseconds(300)) {
        self.maxLag = maxLag
        self.samplesRequired = samplesRequired
        self.interval = interval
    }

    /// What one sample saw.
    package struct Sample: Sendable, Hashable {
        /// The measured lag; nil when the probe gave up at the limit.
        package var lag: Duration?
        /// Samples in a row under the limit so far.
        package var underInARow: Int
        /// One line for a person.
        package var message: String
    }

    /// Samples until the gate passes; returns the last sample (its message is the step's summary).
    ///
    /// - Parameter probe: measures one lag, giving up (returning nil) once it has waited `limit`.
    package func wait(
        probe: (_ limit: Duration) async throws -> Duration?,
        progress: (Sample) -> Void
    ) async throws -> Sample {
        var inARow = 0
        var worst: Duration = .zero
        while true {
            try Task.checkCancellation()
            let lag = try await probe(maxLag)
            if let lag, lag < maxLag {
                inARow += 1
                worst = max(worst, lag)
            } else {
                inARow = 0
                worst = .zero
            }
            let limit = SecondsText.format(Int(maxLag.inSeconds.rounded()))
            let measured = lag.map { "\(Self.milliseconds($0)) behind" } ?? "at least \(limit) behind"
            let sample = Sample(
                lag: lag, underInARow: inARow,
                message: inARow >= samplesRequired
                    ? "channel lag under \(limit): \(samplesRequired) samples in a row, at most \(Self.milliseconds(worst))"
                    : "channel \(measured) (limit \(limit)); \(inARow) of \(samplesRequired) samples under it")
            if inARow >= samplesRequired { return sample }
            progress(sample)
            try await Task.sleep(for: interval)
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = duration.inSeconds * 1000
        return ms < 10 ? String(format: "%.1f ms", ms) : "\(Int(ms.rounded())) ms"
    }
}
