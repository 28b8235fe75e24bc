import Foundation
import KVMoveCore

/// Renders a plan as GitHub-flavoured Markdown for a pull-request comment or a step summary.
///
/// The comment shows, in order: a title with the summary line, a caution banner naming every
/// release, the warnings, a table per migration, each migration's steps, and the full text plan
/// in a collapsed `diff` block. Output is kept within GitHub's comment limit by truncating the
/// full plan first, then the rest, and saying so.
enum PlanMarkdownRenderer {
    /// GitHub's limit for an issue or pull-request comment body, in characters.
    static let commentLimit = 65_536

    /// Renders the plan, at most `limit` UTF-8 bytes long (and so at most `limit` characters).
    static func render(_ plan: Plan, limit: Int = commentLimit) -> String {
        var head = "### kvmove plan\n\n"
        guard plan.hasChanges else {
            head += "No changes. Every migration matches its spec.\n\n"
            head += warningBlock(plan)
            for migration in plan.migrations {
                head += "- `\(migration.spec.name)`: \(escape(migration.convergedDescription))\n"
            }
            return fit(head, details: nil, limit: limit)
        }
        head += "**\(plan.summary.line)**\n\n"
        head += cautionBlock(plan)
        head += warningBlock(plan)
        head += table(plan)
        head += stepLists(plan)
        return fit(head, details: diffLines(plan), limit: limit)
    }

    // MARK: - Sections

    /// A `[!CAUTION]` alert listing every release step, or nothing when there is none.
    static func cautionBlock(_ plan: Plan) -> String {
        let releases = plan.steps.filter { $0.action == .release }
        guard !releases.isEmpty else { return "" }
        let destroying = releases.filter(\.destroysData).count
        var text = "> [!CAUTION]\n"
        text += "> This plan releases \(count(releases.count, "resource"))"
        text += destroying > 0 ? ", \(destroying) of them with data:\n" : ":\n"
        for step in releases {
            let id = step.resourceId.map { " (`\($0)`)" } ?? ""
            let marker = step.destroysData ? " **Destroys data.**" : ""
            text += "> - `-` `\(step.address)`\(id) — \(escape(step.headline)).\(marker)\n"
        }
        return text + "\n"
    }

    /// A `[!WARNING]` alert listing every warning, or nothing when there is none.
    static func warningBlock(_ plan: Plan) -> String {
        guard !plan.warnings.isEmpty else { return "" }
        return "> [!WARNING]\n" + plan.warnings.map { "> - \(escape($0))\n" }.joined() + "\n"
    }

    /// The per-migration summary table.
    static func table(_ plan: Plan) -> String {
        var text = "| migration | stage | observed | `+` | `~` | `-` | `>` |\n"
        text += "|---|---|---|--:|--:|--:|--:|\n"
        for migration in plan.migrations {
            let counts = PlanSummary(steps: migration.steps)
            let cells = [
                "`\(migration.spec.name)`", migration.spec.stage.rawValue, migration.observedStage.rawValue,
                String(counts.create), String(counts.change), String(counts.release), String(counts.check),
            ]
            text += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return text + "\n"
    }

    /// One heading per migration with a bullet per step and its risks.
    static func stepLists(_ plan: Plan) -> String {
        var text = ""
        for migration in plan.migrations {
            text += "#### \(escape(migration.displayHeader))\n\n"
            if migration.steps.isEmpty {
                text += "No changes: \(escape(migration.convergedDescription)).\n\n"
                continue
            }
            for step in migration.steps {
                let marker = step.destroysData ? " **(destroys data)**" : ""
                text += "- `\(step.action.symbol)` `\(step.address)` — \(escape(step.headline))\(marker)\n"
                text += step.risks.map { "  - risk: \(escape($0))\n" }.joined()
            }
            text += "\n"
        }
        return text
    }

    /// The plain text plan with every line's symbol moved to column 0, so GitHub's `diff`
    /// highlighting colours `+` and `-` lines.
    static func diffLines(_ plan: Plan) -> [String] {
        var lines = PlanTextRenderer.render(plan, color: false).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines.map { line in
            let indent = line.prefix { $0 == " " }
            let rest = line.dropFirst(indent.count)
            guard let symbol = rest.first, "+~->".contains(symbol),
                rest.count == 1 || rest.dropFirst().first == " "
            else { return line }
            return String(symbol) + indent + rest.dropFirst()
        }
    }

    // MARK: - Size budget

    private static let detailsOpen = "<details><summary>Full plan</summary>\n\n```diff\n"
    private static let detailsClose = "```\n\n</details>\n"

    /// Joins the head and the full-plan block, truncating the block (then the head) to `limit`.
    static func fit(_ head: String, details: [String]?, limit: Int) -> String {
        guard let details else { return truncated(head, limit: limit) }
        let body = details.map { $0 + "\n" }.joined()
        let whole = head + detailsOpen + body + detailsClose
        if size(whole) <= limit { return whole }

        let notice = { (shown: Int) in
            "\n_The full plan was truncated to fit a comment: \(shown) of \(details.count) lines shown. "
                + "Run `kvmove plan` to see all of it._\n"
        }
        let fixed = size(head) + size(detailsOpen) + size(detailsClose) + size(notice(details.count))
        var budget = limit - fixed
        var shown = 0
        for line in details {
            let cost = size(line) + 1
            guard cost <= budget else { break }
            budget -= cost
            shown += 1
        }
        guard shown > 0 else { return truncated(head, limit: limit) }
        let kept = details.prefix(shown).map { $0 + "\n" }.joined()
        return head + detailsOpen + kept + detailsClose + notice(shown)
    }

    /// Cuts `text` at a line boundary so that it and a closing notice fit in `limit`.
    static func truncated(_ text: String, limit: Int) -> String {
        if size(text) <= limit { return text }
        let notice =
            "\n_This comment was truncated to fit GitHub's size limit. Run `kvmove plan` to see the whole plan._\n"
        var budget = limit - size(notice)
        var kept = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let cost = line.utf8.count + 1
            guard cost <= budget else { break }
            budget -= cost
            kept += line + "\n"
        }
        return kept + notice
    }

    /// The size that counts against the limit: UTF-8 bytes, never fewer than characters.
    private static func size(_ text: String) -> Int { text.utf8.count }

    // MARK: - Text

    /// `1 resource`, `2 resources`.
    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// Escapes the characters that would turn plain text into Markdown or HTML.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\`*_[]<>|".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
