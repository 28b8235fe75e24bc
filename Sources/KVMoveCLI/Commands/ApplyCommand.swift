import ArgumentParser
import Foundation
import KVMoveCore

/// `kvmove apply`: carries out a plan (or, with `--dry-run`, shows every call it would make).
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Carry out the steps of a plan, in order, resumably.",
        discussion: """
            With -f, apply plans first, shows the plan and asks for `yes` (on a terminal; elsewhere pass \
            --auto-approve). With a saved plan file it re-observes, refuses if any fact the plan relied on \
            changed, and applies exactly that plan. Every step start, provider operation id and end is \
            appended to the journal (<state-dir>/journal/<migration>.jsonl). If apply is interrupted, run it \
            again: it resumes where the cloud is.

            Examples:
              kvmove apply -f migrations/orders.yaml
              kvmove apply -f migrations/ --dry-run
              kvmove apply orders.plan
              kvmove apply -f migrations/ --auto-approve --parallelism 2 --timeout wait-full-sync=12h
            """
    )

    @Argument(help: ArgumentHelp("A plan file written by kvmove plan -out.", valueName: "planfile"))
    var planFile: String?

    @OptionGroup var specs: SpecOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Walk the same steps and print every provider call that would be made; change nothing.")
    var dryRun = false

    @Flag(help: "Do not ask for confirmation.")
    var autoApprove = false

    @Option(help: "How many migrations to apply at once.")
    var parallelism = 4

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp(
            "Override a step kind's timeout, e.g. wait-full-sync=12h. Repeatable. Kinds: "
                + StepKind.allCases.map(\.rawValue).joined(separator: ", "),
            valueName: "kind=duration"
        )
    )
    var timeouts: [String] = []

    @Option(
        name: .customLong("verify-rate"),
        help: ArgumentHelp(
            "Reads per second verification may make on the source, overriding spec.verify.maxReadsPerSecond "
                + "(default \(VerifySpec.defaultMaxReadsPerSecond)).",
            valueName: "reads"))
    var verifyRate: Int?

    @Flag(name: .customLong("no-color"), help: "Never use colour.")
    var noColor = false

    func validate() throws {
        if planFile == nil && specs.paths.isEmpty { throw ValidationError("pass -f PATH, or a saved plan file") }
        if planFile != nil && !specs.paths.isEmpty {
            throw ValidationError("pass either -f PATH or a plan file, not both")
        }
        if parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
        if let verifyRate, verifyRate < 1 { throw ValidationError("--verify-rate must be at least 1") }
        _ = try parsedTimeouts()
    }

    func parsedTimeouts() throws -> [StepKind: Double] {
        var result: [StepKind: Double] = [:]
        for item in timeouts {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = StepKind(rawValue: parts[0]) else {
                throw ValidationError(
                    "--timeout \(item): expected KIND=DURATION with KIND one of "
                        + StepKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let seconds = DurationText.seconds(parts[1]), seconds > 0 else {
                throw ValidationError("--timeout \(item): \"\(parts[1])\" is not a duration like 30s, 10m or 2h")
            }
            result[kind] = Double(seconds)
        }
        return result
    }

    func run() async throws {
        try await ProviderRegistry(sandbox: sandbox).using { try await run(with: $0) }
    }

    private func run(with registry: ProviderRegistry) async throws {
        let color = Terminal.colorEnabled(disabledByFlag: noColor)
        let pipeline = Pipeline(registry: registry)
        var plan: Plan
        let stateDirectory: URL
        do {
            if let planFile {
                let file = try PlanFile.read(planFile)
                stateDirectory = state.directory(forSpecPaths: file.specFiles)
                let observed = try await pipeline.observe(file.plan.migrations.map(\.spec))
                let stale = PlanFile.staleFacts(file.plan, observed: observed)
                guard stale.isEmpty else {
                    throw CLIError(
                        "Saved plan is stale: the facts it relied on have changed since it was made:\n"
                            + stale.map { "  - \($0)" }.joined(separator: "\n")
                            + "\nRun kvmove plan again, review it, and apply the new plan.")
                }
                plan = file.plan
            } else {
                stateDirectory = state.directory(forSpecPaths: specs.paths)
                let (specs, _) = try pipeline.load(specs.paths, color: color)
                plan = try pipeline.plan(specs, observed: try await pipeline.observe(specs), color: color)
            }
        } catch let reported as DiagnosticsReported {
            throw reported.planningFailed()
        }
        if let verifyRate { plan = plan.pacingVerification(at: verifyRate) }

        Terminal.out(PlanTextRenderer.render(plan, color: color))
        guard plan.hasChanges else { return }
        if dryRun {
            Terminal.out("\nDry run: walking the plan; each provider call is shown, nothing is changed.\n\n")
        } else if planFile == nil && !autoApprove {
            try confirm()
        }

        let trap = SignalTrap()
        let view = ApplyProgressView(color: color, dryRun: dryRun)
        let applier = Applier(
            options: Applier.Options(
                dryRun: dryRun, parallelism: parallelism, timeouts: try parsedTimeouts(),
                state: .files(at: stateDirectory), stateDirectory: stateDirectory),
            interrupt: trap.flag,
            providers: { name in try registry.provider(named: name) }
        )
        let outcomes = await applier.apply(plan) { view.handle($0) }
        let code = view.finish(
            plan: plan, outcomes: outcomes, journal: stateDirectory.appendingPathComponent("journal"))
        if code != 0 { throw ExitCode(code) }
    }

    private func confirm() throws {
        guard Terminal.stdinIsTerminal else {
            throw CLIError(
                "apply needs approval, but standard input is not a terminal. Review the plan above and pass "
                    + "--auto-approve, or save a reviewed plan (kvmove plan -out FILE) and run kvmove apply FILE")
        }
        Terminal.out(
            "\nDo you want to perform these steps?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
        guard Terminal.readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            Terminal.err("Apply cancelled. Nothing was changed.")
            throw ExitCode.failure
        }
        Terminal.out("\n")
    }
}
