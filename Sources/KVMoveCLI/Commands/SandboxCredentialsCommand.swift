import ArgumentParser
import Foundation
import KVMoveLocal

/// `kvmove sandbox credentials`: prints one instance's connection URL, password included.
struct SandboxCredentialsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Print an instance's connection URL, with its password.",
        discussion: """
            Prints redis://default:PASSWORD@127.0.0.1:PORT for the instance with that name or id. This is the only \
            command that shows a password; nothing else prints, logs or records one.

            Examples:
              kvmove sandbox credentials orders-cache-old -f examples/local/sandbox.yaml
              redis-cli -u "$(kvmove sandbox credentials orders-cache --sandbox .kvmove/sandbox)" dbsize
            """
    )

    @Argument(help: ArgumentHelp("The instance's name or id.", valueName: "instance"))
    var instance: String

    @OptionGroup var specs: SpecOptions
    @OptionGroup var sandbox: SandboxOptions

    func run() throws {
        let layout = sandbox.layout(forPath: specs.paths.first)
        Terminal.out(try SandboxWorld(layout: layout, worker: .currentExecutable()).credentials(instance) + "\n")
    }
}
