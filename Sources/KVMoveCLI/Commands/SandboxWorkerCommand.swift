import ArgumentParser
import Foundation
import KVMoveCore
import KVMoveLocal

/// `kvmove sandbox worker`: the background channel worker of one group (started by kvmove itself).
struct SandboxWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a group's sync channel (started by kvmove in the background).",
        discussion: """
            kvmove starts this detached when a target joins a group, and kvmove sandbox up restarts it if \
            it died. It copies the source into the target, reports progress in the sandbox state, then \
            stays idle until sync is disconnected.

            Examples:
              kvmove sandbox worker --sandbox .kvmove/sandbox --group gr-lc0123456789abcd
            """,
        shouldDisplay: false
    )

    @Option(help: ArgumentHelp("The sandbox directory.", valueName: "dir"))
    var sandbox: String

    @Option(help: ArgumentHelp("The group id.", valueName: "id"))
    var group: String

    func run() async throws {
        let worker = ChannelWorker(layout: SandboxLayout(root: URL(fileURLWithPath: sandbox)), groupId: group)
        let code = await worker.run { line in Terminal.out("\(ISO8601.string(Date())) \(line)\n") }
        if code != 0 { throw ExitCode(code) }
    }
}
