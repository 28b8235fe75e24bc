import ArgumentParser
import Foundation
import KVMoveCore

/// `kvmove graph`: the step graph as Mermaid or DOT.
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the step graph of a plan as Mermaid or Graphviz DOT.",
        discussion: """
            Examples:
              kvmove graph -f migrations/                      # Mermaid, paste into Markdown
              kvmove graph -f migrations/ --format dot | dot -Tsvg > steps.svg
              kvmove graph --plan orders.plan
            """
    )

    /// Graph formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case mermaid
        case dot
    }

    @OptionGroup var specs: SpecOptions
    @OptionGroup var sandbox: SandboxOptions

    @Option(
        name: .customLong("plan"), help: ArgumentHelp("Graph a saved plan instead of planning.", valueName: "planfile"))
    var planFile: String?

    @Option(help: "mermaid or dot.")
    var format: Format = .mermaid

    func validate() throws {
        if planFile == nil && specs.paths.isEmpty { throw ValidationError("pass -f PATH or --plan FILE") }
        if planFile != nil && !specs.paths.isEmpty {
            throw ValidationError("pass either -f PATH or --plan FILE, not both")
        }
    }

    func run() async throws {
        let plan: Plan
        if let planFile {
            plan = try PlanFile.read(planFile).plan
        } else {
            do {
                plan = try await ProviderRegistry(sandbox: sandbox).using { registry in
                    let pipeline = Pipeline(registry: registry)
                    let (specs, _) = try pipeline.load(specs.paths, color: false)
                    return try pipeline.plan(specs, observed: try await pipeline.observe(specs), color: false)
                }
            } catch is DiagnosticsReported {
                throw ExitCode.failure
            }
        }
        Terminal.out(format == .mermaid ? GraphRenderer.mermaid(plan) : GraphRenderer.dot(plan))
    }
}
