import ArgumentParser
import Foundation

/// `kvmove show`: renders a saved plan.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Render a saved plan as text, JSON or Markdown.",
        discussion: """
            Examples:
              kvmove show orders.plan
              kvmove show orders.plan --output markdown > comment.md
              kvmove show orders.plan --output json | jq .summary
            """
    )

    @Argument(help: ArgumentHelp("A plan file written by kvmove plan -out.", valueName: "planfile"))
    var planFile: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let file = try PlanFile.read(planFile)
        Terminal.out(PlanRendering.render(file.plan, as: output.output, color: output.useColor))
    }
}
