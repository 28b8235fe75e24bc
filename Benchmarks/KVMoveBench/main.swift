import Foundation
import KVMoveRESP
import KVMoveSecret
import KVMoveSync

// kvmove-bench: kvmove's sync channel against native replication, on the same data in the same run.
//
// Starts two redis-server processes on loopback, fills the source with `DEBUG POPULATE` (N string keys of
// B-byte values), then, for each of `--runs` runs, measures the phases chosen with `--phases`:
//   restore   the dataset copied with RESTORE only (scan copier), the path for targets that cannot be replicas;
//   fullsync  kvmove's channel full sync (PSYNC, RDB → RESTORE) vs native REPLICAOF;
//   stream    applied writes/s under a pipelined SET load on the source, kvmove's channel vs a native replica;
//   lag       replication lag p50/p99 at a steady write rate (PUBLISH stamps seen by a subscriber on the target);
//   twoway    the two-way channel with both sides written at once (disjoint keys): lag each way against a native
//             replica, a pipelined and a steady INCR load on both sides, and INFO commandstats of both servers;
//   verify    kvmove's verifier, every key both ways;
//   ceiling   the target's own RESTORE rate with prepared payloads (nothing else running), for reference;
//   bigkeys   verification beside a 2M-field hash, a 1M-member sorted set, a 1M-element list and a 256 MiB
//             string: a PING-every-millisecond client's p99 idle and while verifying, memory, the slow log.
// kvmove's own peak memory is read from /proc/self/status (VmHWM), reset before each phase. Each metric is
// printed per run and as the median of the runs.
//
// Usage: kvmove-bench [--keys N] [--value-bytes B] [--phases restore,fullsync,stream,lag,twoway,verify,bigkeys]
//                     [--runs R]
//                     [--stream-writes W] [--lag-rate R] [--lag-seconds S] [--twoway-writes W] [--twoway-rate R]
//                     [--twoway-seconds S] [--batch-commands N] [--memory-buffer-mib M] [--markdown]

struct Arguments {
    static let allPhases = ["restore", "fullsync", "stream", "lag", "twoway", "verify", "ceiling", "bigkeys"]
    static let usage =
        "usage: kvmove-bench [--keys N] [--value-bytes B] [--phases \(allPhases.joined(separator: ","))] "
        + "[--runs R] [--stream-writes W] [--lag-rate R] [--lag-seconds S] [--twoway-writes W] [--twoway-rate R] "
        + "[--twoway-seconds S] [--batch-commands N] [--memory-buffer-mib M] [--markdown]\n"

    var keys = 1_000_000
    var valueBytes = 100
    var phases = ["restore", "fullsync", "stream", "lag"]
    var runs = 1
    var streamWrites = 2_000_000
    var lagRate = 5000
    var lagSeconds = 10.0
    /// The two-way phase: INCRs per side of its pipelined load, and the rate and seconds of its steady load.
    var twoWayWrites = 1_000_000
    var twoWayRate = 50_000
    var twoWaySeconds = 10.0
    var markdown = false
    /// As the sandbox runs it: full syncs relayed to the target (its servers are local).
    var channelOptions = ReplicaChannel.Options(relayHost: "127.0.0.1")

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--keys": keys = Int(iterator.next() ?? "") ?? keys
            case "--value-bytes": valueBytes = Int(iterator.next() ?? "") ?? valueBytes
            case "--phases": phases = (iterator.next() ?? "").split(separator: ",").map(String.init)
            case "--runs": runs = max(1, Int(iterator.next() ?? "") ?? runs)
            case "--stream-writes": streamWrites = Int(iterator.next() ?? "") ?? streamWrites
            case "--lag-rate": lagRate = Int(iterator.next() ?? "") ?? lagRate
            case "--lag-seconds": lagSeconds = Double(iterator.next() ?? "") ?? lagSeconds
            case "--twoway-writes": twoWayWrites = Int(iterator.next() ?? "") ?? twoWayWrites
            case "--twoway-rate": twoWayRate = Int(iterator.next() ?? "") ?? twoWayRate
            case "--twoway-seconds": twoWaySeconds = Double(iterator.next() ?? "") ?? twoWaySeconds
            case "--markdown": markdown = true
            case "--batch-commands":
                channelOptions.batchCommands = Int(iterator.next() ?? "") ?? channelOptions.batchCommands
            case "--memory-buffer-mib":
                channelOptions.memoryBufferBytes = (Int(iterator.next() ?? "") ?? 8) << 20
            default:
                FileHandle.standardError.write(Data(Self.usage.utf8))
                exit(64)
            }
        }
        if let unknown = phases.first(where: { !Self.allPhases.contains($0) }) {
            FileHandle.standardError.write(Data("unknown phase \(unknown)\n\(Self.usage)".utf8))
            exit(64)
        }
    }
}

let arguments = Arguments()
let root = FileManager.default.temporaryDirectory.appendingPathComponent("kvmove-bench-\(UUID().uuidString)")
// The source keeps a backlog and a roomy replica output buffer, as the sandbox's servers do.
let source = try Server(
    name: "source", root: root,
    extraArguments: ["--repl-backlog-size", "256mb", "--rdbcompression", "no"])
let target = try Server(name: "target", root: root)
func stopServers() async {
    await source.stop()
    await target.stop()
    try? FileManager.default.removeItem(at: root)
}

let sourceControl = try await source.connect()
let targetControl = try await target.connect()
FileHandle.standardError.write(Data("populating \(arguments.keys) keys of \(arguments.valueBytes) bytes…\n".utf8))
_ = try await sourceControl.send(
    RESPCommand("DEBUG", "POPULATE", RESPArgument(arguments.keys), "key", RESPArgument(arguments.valueBytes)))
let baseline = Memory.peakMiB()
let bench = Bench(
    source: source, target: target, sourceControl: sourceControl, targetControl: targetControl, keys: arguments.keys,
    channelOptions: {
        var options = arguments.channelOptions
        options.spoolDirectory = root.appendingPathComponent("spool").path
        return options
    }())
let results = Results()
do {
    for run in 1...arguments.runs {
        for phase in arguments.phases {
            FileHandle.standardError.write(Data("run \(run): \(phase)…\n".utf8))
            switch phase {
            case "restore": try await bench.restore(results)
            case "ceiling": try await bench.restoreCeiling(results)
            case "fullsync": try await bench.fullSync(results)
            case "stream":
                try await bench.stream(results, writes: arguments.streamWrites)
                try await bench.cleanSource()
            case "lag":
                try await bench.lag(results, rate: arguments.lagRate, duration: .seconds(arguments.lagSeconds))
                try await bench.cleanSource()
            case "twoway":
                try await bench.twoWay(
                    results,
                    load: TwoWayLoad(
                        lagRate: arguments.lagRate, lagDuration: .seconds(arguments.lagSeconds),
                        pipelinedWrites: arguments.twoWayWrites, steadyRate: arguments.twoWayRate,
                        steadyDuration: .seconds(arguments.twoWaySeconds)))
            case "bigkeys": try await bench.bigKeys(results)
            case "verify":
                try await bench.flushTarget()
                _ = try await ScanCopier(source: source.endpoint, target: target.endpoint).run { _ in }
                let (report, elapsed, peak) = try await measure {
                    try await Verifier(source: source.endpoint, target: target.endpoint).run { _, _ in }
                }
                guard report.passed else { throw BenchFailure("verification failed: \(report.summary)") }
                results.record("verify keys/s", Double(arguments.keys) / elapsed)
                results.record("verify peak RSS MiB", peak)
            default: break
            }
        }
    }
} catch {
    FileHandle.standardError.write(Data("kvmove-bench: \(error)\n".utf8))
    await sourceControl.close()
    await targetControl.close()
    await stopServers()
    exit(1)
}
await sourceControl.close()
await targetControl.close()
await stopServers()

let cores = ProcessInfo.processInfo.activeProcessorCount
let header =
    "\(arguments.keys) keys × \(arguments.valueBytes) B, \(cores) cores, \(arguments.runs) run(s); "
    + "stream load \(arguments.streamWrites) SETs; lag at \(arguments.lagRate) writes/s for \(arguments.lagSeconds) s; "
    + (arguments.phases.contains("twoway")
        ? "two-way: \(arguments.twoWayWrites) pipelined INCRs each side, then \(arguments.twoWayRate) INCRs/s each side "
            + "for \(arguments.twoWaySeconds) s; "
        : "")
    + "baseline RSS \(format(baseline)) MiB"
if arguments.markdown {
    let runColumns = (1...arguments.runs).map { "run \($0)" }
    print("| metric | " + runColumns.joined(separator: " | ") + " | median |")
    print("|---|" + String(repeating: "---|", count: arguments.runs + 1))
    for name in results.names {
        let values = results.values[name] ?? []
        print("| \(name) | " + values.map(format).joined(separator: " | ") + " | **\(format(median(values)))** |")
    }
    print("")
    print(header)
} else {
    print(header)
    for name in results.names {
        let values = results.values[name] ?? []
        print("\(name): median \(format(median(values))) (runs: \(values.map(format).joined(separator: ", ")))")
    }
}
