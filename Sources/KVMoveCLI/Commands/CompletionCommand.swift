import ArgumentParser

/// `kvmove completion SHELL`: prints a shell completion script.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a completion script for bash, zsh or fish.",
        discussion: """
            Examples:
              kvmove completion bash > /etc/bash_completion.d/kvmove
              kvmove completion zsh > "${fpath[1]}/_kvmove"
              kvmove completion fish > ~/.config/fish/completions/kvmove.fish
            """
    )

    @Argument(help: "bash, zsh or fish.")
    var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw ValidationError("unknown shell \"\(shell)\"; use bash, zsh or fish")
        }
        Terminal.out(KVMoveCommand.completionScript(for: kind) + "\n")
    }
}
