import Foundation
import KVMoveCore
import KVMoveLocal

/// Renders `kvmove sandbox status` as two aligned tables.
enum SandboxStatusRenderer {
    static func render(_ status: SandboxStatus) -> String {
        var out = "Sandbox \(status.name.map { "\($0) " } ?? "")in \(DisplayPath.relative(status.sandbox))\n\n"
        if status.instances.isEmpty {
            out += "No instances.\n"
        } else {
            var rows = [
                ["INSTANCE", "NAME", "VPC", "ZONE", "ENDPOINT", "STATUS", "VERSION", "MEMORY", "KEYS", "GROUP"]
            ]
            for instance in status.instances {
                let keys =
                    instance.keys.map { keys in
                        keys.isEmpty
                            ? "0"
                            : keys.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    } ?? "-"
                rows.append([
                    instance.id, instance.name, instance.vpcId, instance.zone, instance.endpoint, instance.status,
                    instance.minorVersion, instance.usedMemoryBytes.map(bytes) ?? "-", keys, instance.groupId ?? "-",
                ])
            }
            out += table(rows)
        }
        if !status.groups.isEmpty {
            var rows = [
                ["GROUP", "NAME", "MEMBERS", "PHASE", "PROGRESS", "CHANNEL", "LAG", "OPS/S", "FULL/CONT/ERR", "WORKER"]
            ]
            for group in status.groups {
                let progress =
                    group.progress.map { p in
                        "\(Int((p * 100).rounded()))%"
                            + (group.keysTotal.map { $0 > 0 ? " (\(group.keysDone ?? 0)/\($0) keys)" : "" } ?? "")
                    } ?? "-"
                var channel = group.channelPhase ?? "-"
                if let applied = group.appliedOffset { channel += " @\(applied)" }
                if let eta = group.fullSyncETASeconds, group.channelPhase == "full-sync" {
                    channel += String(format: " (ETA %.0f s)", eta)
                }
                var lag =
                    group.lagBytes.map { bytes in
                        "\(bytes) B" + (group.lagSeconds.map { String(format: " / %.1f s", $0) } ?? "")
                    } ?? "-"
                if let spooled = group.spooledBytes, spooled > 0 { lag += " (\(spooled) B spooled)" }
                rows.append([
                    group.id, group.name, group.members.joined(separator: ","), group.phase ?? "-", progress, channel,
                    lag, group.opsPerSecond.map { String(format: "%.0f", $0) } ?? "-",
                    group.channelPhase == nil
                        ? "-" : "\(group.fullSyncs ?? 0)/\(group.continues ?? 0)/\(group.errorReplies ?? 0)",
                    group.phase == nil ? "-" : (group.workerRunning ? "running" : "stopped"),
                ])
            }
            out += "\n" + table(rows)
            // What each channel is doing, in words (why it failed, or what it carries).
            for group in status.groups { if let message = group.message { out += "\(group.id): \(message)\n" } }
            out += directions(status.groups)
        }
        return out
    }

    /// Both directions of every two-way group: what each carries, how far behind it is, and the writes of the
    /// applications on each side.
    private static func directions(_ groups: [SandboxStatus.Group]) -> String {
        let twoWay = groups.filter { $0.reverse != nil }
        guard !twoWay.isEmpty else { return "" }
        var rows = [["GROUP", "DIRECTION", "CHANNEL", "LAG", "OPS/S", "APP WRITES", "ECHOES SKIPPED"]]
        func lag(_ bytes: Int64?, _ seconds: Double?) -> String {
            bytes.map { "\($0) B" + (seconds.map { String(format: " / %.1f s", $0) } ?? "") } ?? "-"
        }
        func rate(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
        var messages = ""
        for group in twoWay {
            guard let reverse = group.reverse, group.members.count >= 2 else { continue }
            let (source, target) = (group.members[0], group.members[1])
            rows.append([
                group.id, "\(source) -> \(target)",
                (group.channelPhase ?? "-") + (group.appliedOffset.map { " @\($0)" } ?? ""),
                lag(group.lagBytes, group.lagSeconds), rate(group.opsPerSecond),
                group.applicationWrites.map(String.init) ?? "-", group.echoesSkipped.map(String.init) ?? "-",
            ])
            rows.append([
                group.id, "\(target) -> \(source)",
                reverse.channelPhase + (reverse.appliedOffset.map { " @\($0)" } ?? ""),
                lag(reverse.lagBytes, reverse.lagSeconds), rate(reverse.opsPerSecond),
                String(reverse.applicationWrites),
                String(reverse.echoesSkipped),
            ])
            if let message = reverse.message { messages += "\(group.id) (\(target) -> \(source)): \(message)\n" }
            if let count = group.conflictCount, count > 0 {
                let keys = (group.conflictKeys ?? []).prefix(5).joined(separator: ", ")
                messages +=
                    "\(group.id): \(count) key\(count == 1 ? " was" : "s were") written on both members before either "
                    + "saw the other's write (a conflict the group does not merge; verification compares them): "
                    + keys + (count > 5 ? ", …" : "") + "\n"
            }
        }
        return "\n" + table(rows) + messages
    }

    private static func table(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    private static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
