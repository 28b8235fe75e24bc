import Dispatch
import Foundation
import KVMoveCore

/// Turns the first Ctrl-C into a graceful stop and the second into an immediate exit.
final class SignalTrap: Sendable {
    let flag = InterruptFlag()
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    /// Installs handlers for SIGINT and SIGTERM.
    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [flag] in
                if flag.isRaised {
                    Terminal.err("Second interrupt: exiting now. Run kvmove apply again to resume.")
                    exit(130)
                }
                flag.raise()
                Terminal.err(
                    "\nInterrupt received. Stopping after the current provider call; the journal records where. "
                        + "Press Ctrl-C again to exit at once.")
            }
            source.resume()
            sources.append(source)
        }
    }
}
