import ArgumentParser
import Foundation
import KVMoveCore
import KVMoveLocal
import KVMoveSpec

/// `kvmove sandbox up`: creates the declared sandbox, idempotently.
struct SandboxUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Create or resume the sandbox a kind: Sandbox file declares.",
        discussion: """
            Creates what is missing: regions, zones, VPCs, vSwitches and instances (real redis-server \
            processes), seeds new instances with the declared data, starts instances that are stopped and \
            restarts channel workers that died before their full sync finished. Running it again changes \
            nothing that already exists. Instances a migration released stay released.

            Examples:
              kvmove sandbox up -f examples/local/sandbox.yaml
              kvmove sandbox up -f sandbox.yaml --sandbox /tmp/kvmove-sandbox
              KVMOVE_SANDBOX=/tmp/sb kvmove sandbox up -f sandbox.yaml
            """
    )

    @OptionGroup var specs: SpecOptions
    @OptionGroup var sandbox: SandboxOptions

    func validate() throws {
        if specs.paths.isEmpty { throw ValidationError("pass the sandbox file with -f FILE") }
    }

    func run() async throws {
        let loaded = SpecLoader(environment: Terminal.environment).loadSandbox(paths: specs.paths)
        DiagnosticPrinter(color: Terminal.colorEnabled(disabledByFlag: false)).print(loaded.diagnostics)
        if loaded.diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode.failure }
        guard let spec = loaded.sandbox else {
            throw CLIError("no kind: Sandbox document found in \(specs.paths.joined(separator: ", "))")
        }
        let layout = sandbox.layout(forPath: spec.locations.document?.file ?? specs.paths.first)
        let world = SandboxWorld(layout: layout, worker: .currentExecutable())
        Terminal.out("Sandbox \(spec.name) in \(DisplayPath.relative(layout.root.path))\n")
        try await world.up(spec) { event in Terminal.out("\(event)\n") }
        Terminal.out("\n" + SandboxStatusRenderer.render(try await world.status()))
        Terminal.out("\nThe sandbox is up. Connection URLs: kvmove sandbox credentials NAME\n")
    }
}
