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
    ///
    /// It is ArgumentParser's own `main()`, so ``run(_:)`` can be checked against it.
    package static func runAsMain() async {
        await main()
    }

    /// Runs `arguments` (without the program name) in `context` and returns the exit code.
    package static func run(_ arguments: [String], in context: CLIContext) async -> Int32 {
        await CLIContext.$current.withValue(context) { await run(arguments) }
    }

    /// Runs `arguments` (without the program name) in ``CLIContext/current`` and returns the exit code.
    ///
    /// Parses, runs and reports errors as ArgumentParser's `main()` does, but returns instead of
    /// exiting and writes through the context: help and version on standard output with exit 0,
    /// usage errors on standard error with exit 64, an `ExitCode` thrown by a command as that code
    /// without a message, any other error as `Error: …` with exit 1.
    package static func run(_ arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitCode.success.rawValue
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if code.isSuccess { Terminal.out(message + "\n") } else { Terminal.err(message) }
            }
            return code.rawValue
        }
    }
}
