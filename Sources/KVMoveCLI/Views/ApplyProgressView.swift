import Foundation
import KVMoveCore
import Synchronization

/// Prints apply events as lines: step start, throttled progress with a bar and ETA, end.
///
/// Lines suit both a terminal and a CI log; migrations running at once interleave, each line
/// names its resource.
final class ApplyProgressView: Sendable {
    private struct State {
        var lastBucket: [String: Int] = [:]
        var lastPrint: [String: Double] = [:]
        var calls = 0
        var finished = 0
    }

    private let style: TerminalStyle
    private let dryRun: Bool
    private let state = Mutex(State())

    init(color: Bool, dryRun: Bool) {
        self.style = TerminalStyle(enabled: color)
        self.dryRun = dryRun
    }

    private func verb(_ kind: StepKind) -> String {
        switch kind {
        case .upgradeSourceMinorVersion: "Upgrading minor version"
        case .createGroup, .createTarget: "Creating"
        case .renameTarget: "Renaming"
        case .setTargetSecurityIps: "Setting whitelist groups"
        case .changeTargetBilling: "Changing billing"
        case .waitFullSync: "Waiting for full sync"
        case .verifyData: "Verifying data"
        case .checkCutoverGates: "Checking cutover gates"
        case .disconnectSync: "Disconnecting sync"
        case .releaseSource, .releaseGroup: "Releasing"
        }
    }

    /// Handles one event; safe to call from concurrent migrations.
    func handle(_ event: ApplyEvent) {
        switch event {
        case .migrationStarted(let migration, let steps):
            line(
                style.paint("\(migration):", .bold)
                    + " \(dryRun ? "walking" : "applying") \(steps) step\(steps == 1 ? "" : "s")")
        case .stepStarted(let step):
            line("  \(style.symbol(step.action)) \(step.address): \(verb(step.kind))... [\(step.id)]")
        case .wouldSend(_, let request):
            state.withLock { $0.calls += 1 }
            line("      would call: \(request)" + (request.note.map { "  (\($0))" } ?? ""))
        case .retrying(let step, let request, let error, let attempt, let delay):
            line(
                "      \(step.address): \(request.action) failed (try \(attempt)): \(error); "
                    + "retrying in \(String(format: "%.1f", delay))s")
        case .operation(let step, let id):
            line("      \(step.address): operation \(id)")
        case .progress(let step, let progress, let elapsed):
            progressLine(step, progress, elapsed)
        case .stepFinished(let step, let elapsed, let summary):
            state.withLock { $0.finished += 1 }
            if dryRun { return }
            let detail = summary.map { " (\($0))" } ?? ""
            line("  \(style.symbol(step.action)) \(step.address): done after \(Self.duration(elapsed))\(detail)")
        case .stepFailed(let step, let elapsed, let message):
            line(
                style.paint("  ! \(step.address): \(step.kind.rawValue) failed after \(Self.duration(elapsed)): ", .red)
                    + message)
        case .interrupted(let migration, let before):
            let whereText = before.map { "before \($0.id)" } ?? "during a step"
            line(style.paint("\(migration): interrupted \(whereText); run kvmove apply again to resume", .yellow))
        case .warning(let message):
            Terminal.err(style.paint("warning: ", .yellow) + message)
        case .migrationFinished:
            break
        }
    }

    private func progressLine(_ step: Step, _ progress: StepProgress, _ elapsed: Double) {
        guard let fraction = progress.fraction else {
            let due = state.withLock { s -> Bool in
                let last = s.lastPrint[step.id] ?? -100
                if elapsed - last < 10 { return false }
                s.lastPrint[step.id] = elapsed
                return true
            }
            if due { line("      \(step.address): \(progress.message) [\(Self.duration(elapsed)) elapsed]") }
            return
        }
        let bucket = Int((fraction * 10).rounded(.down))
        let due = state.withLock { s -> Bool in
            let lastBucket = s.lastBucket[step.id] ?? -1
            let lastTime = s.lastPrint[step.id] ?? -100
            guard bucket > lastBucket || elapsed - lastTime >= 10 else { return false }
            s.lastBucket[step.id] = bucket
            s.lastPrint[step.id] = elapsed
            return true
        }
        guard due else { return }
        let filled = Int((fraction * 20).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled)
        var text =
            "      \(step.address): [\(bar)] \(Int((fraction * 100).rounded(.down)))% \(progress.message), "
            + "\(Self.duration(elapsed)) elapsed"
        if fraction > 0.02 && fraction < 1 {
            text += ", ETA \(Self.duration(elapsed * (1 - fraction) / fraction))"
        }
        line(text)
    }

    /// Prints the closing summary; returns the exit code (0, 1, or 130 when interrupted).
    func finish(plan: Plan, outcomes: [String: MigrationOutcome], journal: URL) -> Int32 {
        var failed: [String] = []
        var interrupted: [String] = []
        for migration in plan.migrations where !migration.steps.isEmpty {
            switch outcomes[migration.spec.name] {
            case .succeeded?: break
            case .failed(let step, let message)?: failed.append("\(migration.spec.name): \(step) failed: \(message)")
            case .notStarted(let message)?: failed.append("\(migration.spec.name): not started: \(message)")
            case .interrupted?: interrupted.append(migration.spec.name)
            case nil: failed.append("\(migration.spec.name): did not run")
            }
        }
        let (steps, calls) = state.withLock { ($0.finished, $0.calls) }
        line("")
        if dryRun {
            line(
                style.paint("Dry run complete:", .bold)
                    + " \(steps) steps walked, \(calls) provider calls shown; nothing was changed.")
            return failed.isEmpty ? 0 : 1
        }
        if !interrupted.isEmpty {
            line(
                style.paint("Apply interrupted", .yellow) + " (\(interrupted.joined(separator: ", "))). The journal in "
                    + "\(journal.relativePath) records where it stopped; run kvmove apply again to resume.")
        }
        if !failed.isEmpty {
            line(style.paint("Apply failed:", .red))
            for item in failed { line("  - \(item)") }
            line("Completed steps are kept. Fix the cause, then run kvmove apply again to resume.")
            return 1
        }
        if !interrupted.isEmpty { return 130 }
        line(style.paint("Apply complete!", .green) + " \(steps) step\(steps == 1 ? "" : "s") done.")
        for migration in plan.migrations where !migration.steps.isEmpty {
            line("  \(migration.spec.name): stage \(migration.spec.stage.rawValue) reached.")
        }
        return 0
    }

    private func line(_ text: String) {
        Terminal.out(text + "\n")
    }

    /// `4s`, `2m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
