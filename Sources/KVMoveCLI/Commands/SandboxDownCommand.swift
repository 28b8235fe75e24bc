import ArgumentParser
import Foundation
import KVMoveCore
import KVMoveLocal

/// `kvmove sandbox down`: stops the sandbox's processes.
struct SandboxDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop every instance and channel worker of the sandbox.",
        discussion: """
            Stops the channel workers, then the redis-server processes (their data is flushed and kept). \
            kvmove sandbox up starts them again. With --purge the sandbox directory is deleted as well: \
            every instance, its data and every record.

            Examples:
              kvmove sandbox down -f examples/local/sandbox.yaml
              kvmove sandbox down --purge --sandbox .kvmove/sandbox
            """
    )

    @OptionGroup var specs: SpecOptions
    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Also delete the sandbox directory with all data.")
    var purge = false

    func run() async throws {
        let layout = sandbox.layout(forPath: specs.paths.first)
        let world = SandboxWorld(layout: layout, worker: .currentExecutable())
        try await world.down(purge: purge) { event in Terminal.out("\(event)\n") }
        Terminal.out(
            purge ? "Sandbox \(DisplayPath.relative(layout.root.path)) stopped and deleted.\n" : "Sandbox stopped.\n")
    }
}
