import KVMoveCore

/// Renders a plan's step graph as Mermaid or Graphviz DOT.
///
/// Each migration is a subgraph (a `cluster_` in DOT); each step is a node labelled with its
/// symbol, kind and address; each `dependsOn` entry is an edge from the dependency to the
/// dependent. Output depends only on the plan, so it can be kept as a golden file.
enum GraphRenderer {
    /// A `flowchart TD` Mermaid diagram, ending with a newline.
    static func mermaid(_ plan: Plan) -> String {
        let ids = nodeIds(plan)
        var lines = ["flowchart TD"]
        for (index, migration) in plan.migrations.enumerated() {
            lines.append(
                "    subgraph \(clusterId(migration, index: index, prefix: "migration_"))[\"\(mermaidText(migration.spec.name))\"]"
            )
            if migration.steps.isEmpty {
                let id = clusterId(migration, index: index, prefix: "converged_")
                lines.append("        \(id)[\"\(mermaidText("no changes"))\"]")
            }
            for step in migration.steps {
                let label = label(step).map(mermaidText).joined(separator: "<br/>")
                lines.append("        \(ids[step.id] ?? "")[\"\(label)\"]")
            }
            lines.append("    end")
        }
        for (from, to) in edges(plan, ids: ids) {
            lines.append("    \(from) --> \(to)")
        }
        let classes: [(StepAction, String)] = [
            (.create, "stroke:#2da44e,stroke-width:2px"),
            (.change, "stroke:#bf8700,stroke-width:2px"),
            (.release, "stroke:#cf222e,stroke-width:3px"),
            (.check, "stroke:#0969da,stroke-dasharray:4 3"),
        ]
        for (action, style) in classes {
            let members = plan.steps.filter { $0.action == action }.compactMap { ids[$0.id] }
            guard !members.isEmpty else { continue }
            lines.append("    classDef \(action.rawValue) \(style)")
            lines.append("    class \(members.joined(separator: ",")) \(action.rawValue)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Graphviz `digraph`, ending with a newline.
    static func dot(_ plan: Plan) -> String {
        let ids = nodeIds(plan)
        var lines = [
            "digraph kvmove_plan {",
            "    rankdir=TB;",
            "    node [shape=box, fontname=\"monospace\"];",
        ]
        for (index, migration) in plan.migrations.enumerated() {
            lines.append("    subgraph \(clusterId(migration, index: index, prefix: "cluster_")) {")
            lines.append("        label=\(dotString(migration.spec.name));")
            if migration.steps.isEmpty {
                let id = clusterId(migration, index: index, prefix: "converged_")
                lines.append("        \(id) [label=\(dotString("no changes")), style=dashed];")
            }
            for step in migration.steps {
                let label = dotString(label(step).joined(separator: "\n"))
                lines.append("        \(ids[step.id] ?? "") [label=\(label), color=\(dotColor(step.action))];")
            }
            lines.append("    }")
        }
        for (from, to) in edges(plan, ids: ids) {
            lines.append("    \(from) -> \(to);")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Shared

    /// The label lines of a step: `+ create-target`, its address, and a data-loss marker.
    static func label(_ step: Step) -> [String] {
        var lines = ["\(step.action.symbol) \(step.kind.rawValue)", step.address]
        if step.destroysData { lines.append("(destroys data)") }
        return lines
    }

    /// Node identifiers for every step: `step_` plus the sanitized step id, unique within the plan.
    static func nodeIds(_ plan: Plan) -> [String: String] {
        var ids: [String: String] = [:]
        var taken: Set<String> = []
        for step in plan.steps where ids[step.id] == nil {
            let base = "step_" + sanitize(step.id)
            var id = base
            var suffix = 2
            while taken.contains(id) {
                id = "\(base)_\(suffix)"
                suffix += 1
            }
            taken.insert(id)
            ids[step.id] = id
        }
        return ids
    }

    /// Dependency → dependent pairs of node ids, in step order; unknown dependencies are skipped.
    static func edges(_ plan: Plan, ids: [String: String]) -> [(String, String)] {
        plan.steps.flatMap { step in
            step.dependsOn.compactMap { dependency -> (String, String)? in
                guard let from = ids[dependency], let to = ids[step.id] else { return nil }
                return (from, to)
            }
        }
    }

    /// Replaces every run of characters other than ASCII letters and digits with one `_`.
    static func sanitize(_ text: String) -> String {
        var out = ""
        for character in text {
            if character.isASCII, character.isLetter || character.isNumber {
                out.append(character)
            } else if !out.hasSuffix("_") {
                out.append("_")
            }
        }
        return out
    }

    /// A subgraph id; the index keeps two names that sanitize alike apart.
    private static func clusterId(_ migration: MigrationPlan, index: Int, prefix: String) -> String {
        "\(prefix)\(index)_\(sanitize(migration.spec.name))"
    }

    /// Text for a quoted Mermaid label, with quotes and angle brackets as entity codes.
    private static func mermaidText(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "#quot;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "#": out += "#35;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A DOT double-quoted string; newlines become `\n` line breaks.
    private static func dotString(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    private static func dotColor(_ action: StepAction) -> String {
        switch action {
        case .create: "darkgreen"
        case .change: "darkgoldenrod"
        case .release: "red3"
        case .check: "steelblue"
        }
    }
}
