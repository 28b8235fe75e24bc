import ArgumentParser
import Foundation
import KVMoveLocal

/// `kvmove sandbox status`: instances and groups, as observed now.
struct SandboxStatusCommand: AsyncParsableCommand {
    /// How the status is printed.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the sandbox's instances and groups.",
        discussion: """
            Instances: id, name, endpoint, status (from the record, the process and PING), minor version, \
            used memory and keys per database. Groups: members, channel phase, full sync progress and lag.

            Examples:
              kvmove sandbox status -f examples/local/sandbox.yaml
              kvmove sandbox status --sandbox .kvmove/sandbox --output json | jq '.instances[].status'
            """
    )

    @OptionGroup var specs: SpecOptions
    @OptionGroup var sandbox: SandboxOptions

    @Option(help: "Output format: text or json.")
    var output: Format = .text

    func run() async throws {
        let layout = sandbox.layout(forPath: specs.paths.first)
        let world = SandboxWorld(layout: layout, worker: .currentExecutable())
        guard world.sandbox.store.exists else {
            throw CLIError("no sandbox at \(layout.root.path); create one with kvmove sandbox up -f sandbox.yaml")
        }
        let status = try await world.status()
        switch output {
        case .text:
            Terminal.out(SandboxStatusRenderer.render(status))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.out(String(decoding: try encoder.encode(status), as: UTF8.self) + "\n")
        }
    }
}
