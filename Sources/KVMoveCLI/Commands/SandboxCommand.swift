import ArgumentParser

/// `kvmove sandbox`: the local provider's emulated cloud of real redis-server processes.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a local sandbox cloud of real redis-server instances for provider: local.",
        discussion: """
            A sandbox is a directory (default .kvmove/sandbox beside the sandbox file; --sandbox DIR or \
            KVMOVE_SANDBOX override it) holding an emulated cloud: regions, zones, VPCs, vSwitches, \
            instances and active-active groups. Instances are redis-server processes on 127.0.0.1 with \
            generated passwords; a group's sync channel is a background worker that outlives kvmove. \
            Migrations with provider: local plan and apply against it.

            Examples:
              kvmove sandbox up -f examples/local/sandbox.yaml
              kvmove sandbox status -f examples/local/sandbox.yaml
              kvmove sandbox credentials orders-cache-old --sandbox examples/local/.kvmove/sandbox
              kvmove sandbox down --purge -f examples/local/sandbox.yaml
            """,
        subcommands: [
            SandboxUpCommand.self, SandboxStatusCommand.self, SandboxDownCommand.self,
            SandboxCredentialsCommand.self, SandboxWorkerCommand.self,
        ]
    )
}
