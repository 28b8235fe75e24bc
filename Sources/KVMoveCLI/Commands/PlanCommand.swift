import ArgumentParser
import Foundation
import KVMoveCore

/// `kvmove plan`: observes, then shows the ordered steps that would reach each spec's stage.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the ordered steps that would bring each migration to its stage.",
        discussion: """
            Observes the source, target, group and network of every migration and prints the steps still \
            needed: + create, ~ change in place, - release, > wait / check. Nothing is changed.

            Examples:
              kvmove plan -f migrations/
              kvmove plan -f orders.yaml -out orders.plan
              kvmove plan -f migrations/ --output markdown >> "$GITHUB_STEP_SUMMARY"
              kvmove plan -f migrations/ --output json | jq '[.steps[].actions[]] | index("delete")'
              kvmove plan -f migrations/ --detailed-exitcode   # 0 no changes, 1 error, 2 changes
            """
    )

    @OptionGroup var specs: SpecOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var sandbox: SandboxOptions

    @Option(
        name: [.customLong("out", withSingleDash: true), .customLong("out")],
        help: ArgumentHelp(
            "Save the plan to this file, for `kvmove apply FILE` and `kvmove show FILE`.", valueName: "file")
    )
    var out: String?

    @Flag(help: "Exit 0 when there are no changes, 1 on error, 2 when there are changes.")
    var detailedExitcode = false

    func run() async throws {
        try await ProviderRegistry(sandbox: sandbox).using { try await run(with: $0) }
    }

    private func run(with registry: ProviderRegistry) async throws {
        do {
            let pipeline = Pipeline(registry: registry)
            let color = output.useColor
            let (specs, files) = try pipeline.load(specs.paths, color: color)
            let observed = try await pipeline.observe(specs)
            let plan = try pipeline.plan(specs, observed: observed, color: color)
            Terminal.out(PlanRendering.render(plan, as: output.output, color: color))
            if let out {
                try PlanFile(plan: plan, specFiles: files).write(to: out)
                if output.output == .text {
                    Terminal.out(
                        "\nSaved the plan to: \(out)\nTo perform exactly these steps, run: kvmove apply \(out)\n")
                }
            }
            if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
        } catch let reported as DiagnosticsReported {
            throw reported.planningFailed()
        }
    }
}

/// Picks the renderer for an output format.
enum PlanRendering {
    static func render(_ plan: Plan, as format: OutputFormat, color: Bool) -> String {
        switch format {
        case .text: PlanTextRenderer.render(plan, color: color)
        case .json: PlanJSONRenderer.render(plan)
        case .markdown: PlanMarkdownRenderer.render(plan)
        }
    }
}
