import Foundation
import KVMoveSync
import ServiceLifecycle
import Synchronization

extension ChannelWorker {
    /// Runs the live channel until the group shuts down; falls back to one scan copy when the source
    /// refuses `PSYNC`.
    struct ChannelService: Service {
        let worker: ChannelWorker
        let live: TwoWayChannel
        let status: ChannelStatus
        let reverseStatus: ChannelStatus
        let channel: ChannelRecord
        let outcome: ExitCodeBox
        let log: @Sendable (String) -> Void

        func run() async throws {
            let stop = TwoWayChannel.Stop()
            do {
                // SIGTERM: stop reading, apply what was read, and return once the members acknowledged it.
                try await withGracefulShutdownHandler {
                    try await live.run(forward: status, reverse: reverseStatus, stop: stop)
                } onGracefulShutdown: {
                    stop.request()
                }
            } catch is CancellationError {
                return
            } catch ReplicationError.refused(let command, let reply) where command == "PSYNC" {
                log("worker \(worker.groupId): the source refused PSYNC (\(reply)); copying once with the scan copier")
                try? await worker.record { $0.channelPhase = ChannelRecord.scanCopyPhase }
                do {
                    try await worker.scanCopy(channel)
                } catch {
                    let code = await worker.fail(error, channel, log: log)
                    outcome.value = code
                    return
                }
                // Nothing more to carry: stay until the channel goes away, as the cloud's would.
                try? await gracefulShutdown()
            } catch {
                let code = await worker.fail(error, channel, log: log)
                outcome.value = code
            }
        }
    }

    /// Ends the group once this worker is no longer wanted: its channel is gone or belongs to another worker.
    struct WantedWatch: Service {
        let worker: ChannelWorker
        let pid: Int32

        func run() async throws {
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: worker.pollInterval) }
                if !worker.isWanted(pid) { return }
            }
        }
    }
}
