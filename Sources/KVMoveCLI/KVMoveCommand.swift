import ArgumentParser

/// The `kvmove` command: moves Redis instances between VPCs with zero downtime, declaratively.
package struct KVMoveCommand: AsyncParsableCommand {
    package static let version = "0.1.0"

    package static let configuration = CommandConfiguration(
        commandName: "kvmove",
        abstract: "Move Redis instances between networks (VPCs) with zero downtime, declaratively.",
        discussion: """
            Describe the move in YAML (source instance; target region, zone, VPC, vSwitch, billing and \
            names; how far to go), review what `kvmove plan` would do, then `kvmove apply` it. Stages \
            (sync, cutover, complete) give one reviewed pull request per stage.

            Examples:
              kvmove validate -f migrations/
              kvmove plan -f migrations/orders.yaml -out orders.plan
              kvmove apply orders.plan
              kvmove apply -f migrations/ --dry-run

            Exit codes: 0 success (no changes with --detailed-exitcode), 1 error, 2 changes present \
            (plan --detailed-exitcode), 130 interrupted.
            """,
        version: version,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, ApplyCommand.self, ShowCommand.self, GraphCommand.self,
            UnlockCommand.self, CompletionCommand.self, SandboxCommand.self,
        ]
    )

    package init() {}

    /// Runs the command line of this process and exits; the shipped binary's whole `main`.
    package static func runAsMain() async {
        await main()
    }
}
