import Dispatch
import Foundation
import KVMoveCore

/// Turns the first Ctrl-C into a graceful stop and the second into an immediate exit.
///
/// It traps only when the context says so (``CLIContext/trapsSignals``): a command run in-process
/// by a test must not take over the signals of the test runner. Without a trap the flag is never raised.
final class SignalTrap: Sendable {
    let flag = InterruptFlag()
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    /// Installs handlers for SIGINT and SIGTERM that report on the context's standard error.
    init(context: CLIContext = .current) {
        guard context.trapsSignals else { return }
        let report = context.standardError
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [flag] in
                if flag.isRaised {
                    report("Second interrupt: exiting now. Run kvmove apply again to resume.\n")
                    exit(130)
                }
                flag.raise()
                report(
                    "\nInterrupt received. Stopping after the current provider call; the journal records where. "
                        + "Press Ctrl-C again to exit at once.\n")
            }
            source.resume()
            sources.append(source)
        }
    }
}
