import ArgumentParser
import Foundation
import KVMoveCore

/// `kvmove unlock`: clears a stale migration lock.
struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remove a migration's lock left by an apply that is no longer running.",
        discussion: """
            Apply takes a lock per migration so two applies never run the same migration at once. If an \
            apply was killed, its lock stays; this removes it. Make sure no apply is running first.

            Examples:
              kvmove unlock orders-cache -f migrations/
              kvmove unlock orders-cache --state-dir .kvmove
            """
    )

    @Argument(help: ArgumentHelp("Migration names (metadata.name).", valueName: "migration"))
    var migrations: [String]

    @OptionGroup var specs: SpecOptions
    @OptionGroup var state: StateOptions

    func validate() throws {
        if migrations.isEmpty { throw ValidationError("name at least one migration") }
    }

    func run() throws {
        let locks = StateStore.files(at: state.directory(forSpecPaths: specs.paths)).locks
        var failed = false
        for name in migrations {
            do {
                let holder = try locks.forceUnlock(name)
                Terminal.out("Unlocked \(name)\(holder.map { " (was held by \($0.summary))" } ?? "").\n")
            } catch {
                Terminal.err("error: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
