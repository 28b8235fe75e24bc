import Foundation
import KVMoveCore

/// Renders a plan for a terminal in Terraform's visual grammar.
///
/// Layout: warnings first, then either the "No changes." message or a legend of the symbols
/// used, one block per migration with one entry per step, and the `Plan: …` summary line.
/// Colour is applied only when asked for; plain output contains no escape codes.
enum PlanTextRenderer {
    /// The placeholder shown for values that only exist once apply has run.
    static let unknownValue = "(known after apply)"

    /// Renders the whole plan, ending with a newline.
    static func render(_ plan: Plan, color: Bool) -> String {
        let style = TerminalStyle(enabled: color)
        var lines: [String] = []
        for warning in plan.warnings {
            lines.append(style.paint("Warning:", .bold, .yellow) + " " + warning)
            lines.append("")
        }
        guard plan.hasChanges else {
            lines.append(style.paint("No changes.", .bold) + " Every migration matches its spec.")
            if !plan.migrations.isEmpty { lines.append("") }
            for migration in plan.migrations {
                lines.append("\(migration.spec.name): \(migration.convergedDescription)")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("kvmove will perform the following steps. Symbols:")
        let used = Set(plan.steps.map(\.action))
        for action in StepAction.allCases where used.contains(action) {
            lines.append("  \(style.symbol(action)) \(action.legend)")
        }
        lines.append("")
        for migration in plan.migrations {
            lines.append(style.paint("# " + migration.displayHeader, .bold))
            lines.append("")
            if migration.steps.isEmpty {
                lines.append("  No changes: \(migration.convergedDescription).")
                lines.append("")
            }
            for step in migration.steps {
                lines += stepLines(step, style: style)
                lines.append("")
            }
        }
        // Terraform bolds only the `Plan:` label of the summary line.
        let summary = plan.summary.line
        let label = "Plan:"
        lines.append(
            summary.hasPrefix(label) ? style.paint(label, .bold) + summary.dropFirst(label.count) : summary
        )
        return lines.joined(separator: "\n") + "\n"
    }

    /// The lines of one step: comment header, resource line with its body, reasons, risks, order.
    static func stepLines(_ step: Step, style: TerminalStyle) -> [String] {
        var lines = ["  " + style.paint("# " + step.headline, .bold)]
        if step.destroysData {
            lines.append("  " + style.paint("# (destroys data)", .red))
        }
        let resource = "  \(style.symbol(step.action)) \(step.resourceType) \(quoted(step.address))"
        if step.action == .check {
            lines.append(resource)
        } else {
            lines.append(resource + " {")
            lines += attributeLines(step, style: style).map { "      " + $0 }
            lines.append("    }")
        }
        lines += step.reasons.map { "      reason: \($0)" }
        lines += step.risks.map { "      " + style.paint("risk:", .bold, .yellow) + " " + style.paint($0, .yellow) }
        if !step.dependsOn.isEmpty {
            lines.append("      after: " + step.dependsOn.joined(separator: ", "))
        }
        return lines
    }

    /// One attribute row before alignment: its symbol (nil when unchanged), key and rendered value.
    private struct Row {
        var action: StepAction?
        var key: String
        var value: String
    }

    /// The attribute lines of a step's body, keys sorted and `=` aligned.
    static func attributeLines(_ step: Step, style: TerminalStyle) -> [String] {
        let rows = attributeRows(step)
        let width = rows.map(\.key.count).max() ?? 0
        return rows.map { row in
            let symbol = row.action.map { style.symbol($0) } ?? " "
            let padding = String(repeating: " ", count: width - row.key.count)
            return "\(symbol) \(row.key)\(padding) = \(row.value)"
        }
    }

    private static func attributeRows(_ step: Step) -> [Row] {
        let before = step.before ?? [:]
        let after = step.after ?? [:]
        let unknown = Set(step.afterUnknown)
        var keys = Set(before.keys).union(after.keys)
        switch step.action {
        case .check:
            return []
        case .create:
            keys.formUnion(unknown)
            return keys.sorted().map { key in
                Row(action: .create, key: key, value: unknown.contains(key) ? unknownValue : value(after[key]))
            }
        case .release:
            var rows = keys.sorted().map { Row(action: .release, key: $0, value: value(before[$0])) }
            if let id = step.resourceId, !keys.contains("id") {
                rows.append(Row(action: .release, key: "id", value: value(id)))
            }
            return rows.sorted { $0.key < $1.key }
        case .change:
            keys.formUnion(unknown)
            var rows = keys.sorted().map { key -> Row in
                let old = before[key]
                let new = unknown.contains(key) ? unknownValue : after[key].map(value)
                switch (old, new) {
                case (let old?, let new?) where value(old) == new:
                    return Row(action: nil, key: key, value: new)
                case (let old?, let new?):
                    return Row(action: .change, key: key, value: "\(value(old)) -> \(new)")
                case (nil, let new?):
                    return Row(action: .create, key: key, value: new)
                case (let old?, nil):
                    return Row(action: .release, key: key, value: "\(value(old)) -> null")
                case (nil, nil):
                    return Row(action: nil, key: key, value: "null")
                }
            }
            if let id = step.resourceId, !keys.contains("id") {
                rows.append(Row(action: nil, key: "id", value: value(id)))
            }
            return rows.sorted { $0.key < $1.key }
        }
    }

    /// A value as shown in the body: quoted, or bare when it is only known after apply.
    private static func value(_ raw: String?) -> String {
        guard let raw else { return "null" }
        return raw == unknownValue ? raw : quoted(raw)
    }

    /// `"text"` with backslashes and quotes escaped.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
