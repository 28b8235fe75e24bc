import Foundation
import KVMoveCore
import Testing

@testable import KVMoveCLI

/// Golden-file and property tests for the plan views.
@Suite("Render")
struct RenderTests {
    static let caseNames = PlanFixtures.all.map(\.name)

    static func fixture(_ name: String) -> Plan {
        PlanFixtures.all.first { $0.name == name }?.plan ?? PlanFixtures.converged
    }

    // MARK: - Golden files

    @Test("text (no colour) matches its golden file", arguments: caseNames)
    func text(_ name: String) {
        assertGolden(PlanTextRenderer.render(Self.fixture(name), color: false), named: "\(name).txt")
    }

    @Test("text with colour matches its golden file")
    func colorText() {
        assertGolden(
            PlanTextRenderer.render(PlanFixtures.releaseAndDrift, color: true), named: "release-and-drift.color.txt")
    }

    @Test("JSON matches its golden file", arguments: caseNames)
    func json(_ name: String) {
        assertGolden(PlanJSONRenderer.render(Self.fixture(name)), named: "\(name).json")
    }

    @Test("Markdown matches its golden file", arguments: caseNames)
    func markdown(_ name: String) {
        assertGolden(PlanMarkdownRenderer.render(Self.fixture(name)), named: "\(name).md")
    }

    @Test("Mermaid matches its golden file", arguments: caseNames)
    func mermaid(_ name: String) {
        assertGolden(GraphRenderer.mermaid(Self.fixture(name)), named: "\(name).mmd")
    }

    @Test("DOT matches its golden file", arguments: caseNames)
    func dot(_ name: String) {
        assertGolden(GraphRenderer.dot(Self.fixture(name)), named: "\(name).dot")
    }

    // MARK: - Text

    @Test("plain text has no escape codes; colour text has some", arguments: caseNames)
    func colorSwitch(_ name: String) {
        let plan = Self.fixture(name)
        #expect(!PlanTextRenderer.render(plan, color: false).contains("\u{1B}"))
        #expect(PlanTextRenderer.render(plan, color: true).contains("\u{1B}["))
    }

    @Test("the legend lists only the symbols used")
    func legend() {
        let text = PlanTextRenderer.render(PlanFixtures.releaseAndDrift, color: false)
        #expect(text.contains("\n  ~ change in place\n"))
        #expect(text.contains("\n  - release\n"))
        #expect(!text.contains("+ create"))
        #expect(!text.contains("> wait / check"))
    }

    @Test("the last line is the summary line", arguments: caseNames)
    func summaryLine(_ name: String) {
        let plan = Self.fixture(name)
        let text = PlanTextRenderer.render(plan, color: false)
        #expect(text.hasSuffix("\n"))
        if plan.hasChanges {
            #expect(text.hasSuffix(plan.summary.line + "\n"))
        } else {
            #expect(text.hasPrefix("No changes. Every migration matches its spec."))
        }
    }

    // MARK: - JSON

    @Test("JSON parses and carries the format version, summary and non-empty actions", arguments: caseNames)
    func jsonShape(_ name: String) throws {
        let plan = Self.fixture(name)
        let text = PlanJSONRenderer.render(plan)
        #expect(text.hasSuffix("}\n"))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let root = try #require(object as? [String: Any])
        #expect(root["format_version"] as? String == Plan.formatVersion)
        #expect(root["tool_version"] as? String == PlanFixtures.toolVersion)
        #expect(root["has_changes"] as? Bool == plan.hasChanges)
        let steps = try #require(root["steps"] as? [[String: Any]])
        #expect(steps.count == plan.steps.count)
        for step in steps {
            let actions = try #require(step["actions"] as? [String])
            #expect(!actions.isEmpty)
            #expect(Set(actions).isSubset(of: ["create", "update", "delete", "check"]))
            let change = try #require(step["change"] as? [String: Any])
            #expect(change.keys.sorted() == ["after", "after_unknown", "before"])
        }
        let summary = try #require(root["summary"] as? [String: Int])
        #expect(
            summary == [
                "create": plan.summary.create, "change": plan.summary.change,
                "release": plan.summary.release, "check": plan.summary.check,
            ])
    }

    @Test("every release is a delete a policy can find")
    func jsonDeletes() throws {
        let text = PlanJSONRenderer.render(PlanFixtures.releaseAndDrift)
        let document = try JSONDecoder().decode(PlanJSONDocument.self, from: Data(text.utf8))
        let deletes = document.steps.filter { $0.actions.contains("delete") }.map(\.id)
        #expect(deletes == ["billing-cache/release-source", "billing-cache/release-group"])
        #expect(document.steps.filter(\.destroysData).map(\.id) == ["billing-cache/release-source"])
    }

    // MARK: - Markdown

    @Test("Markdown puts symbols in column 0 of the diff block")
    func markdownDiff() {
        let markdown = PlanMarkdownRenderer.render(PlanFixtures.releaseAndDrift)
        #expect(markdown.contains("\n-   instance \"billing-cache.source\" {\n"))
        #expect(markdown.contains("\n~   instance \"orders-cache.target\" {\n"))
        #expect(!markdown.contains("\u{1B}"))
    }

    @Test("Markdown for very many migrations stays within GitHub's comment limit")
    func markdownLimit() {
        let plan = PlanFixtures.many(600)
        let markdown = PlanMarkdownRenderer.render(plan)
        #expect(PlanTextRenderer.render(plan, color: false).count > PlanMarkdownRenderer.commentLimit)
        #expect(markdown.count <= PlanMarkdownRenderer.commentLimit)
        #expect(markdown.utf8.count <= PlanMarkdownRenderer.commentLimit)
        #expect(markdown.hasPrefix("### kvmove plan\n"))
        #expect(markdown.contains("truncated"))
    }

    @Test("Markdown truncates the full plan first and says so")
    func markdownDetailsTruncation() {
        let plan = PlanFixtures.many(3)
        let whole = PlanMarkdownRenderer.render(plan)
        #expect(!whole.contains("truncated"))
        let limit = whole.utf8.count - 500
        let cut = PlanMarkdownRenderer.render(plan, limit: limit)
        #expect(cut.utf8.count <= limit)
        #expect(cut.contains("| `cache-0002` | complete | not-started |"))
        #expect(cut.contains("```\n\n</details>\n"))
        #expect(cut.contains("_The full plan was truncated to fit a comment:"))
    }

    // MARK: - Graphs

    @Test("graph node ids are identifiers and every dependency is an edge", arguments: caseNames)
    func graphs(_ name: String) throws {
        let plan = Self.fixture(name)
        let ids = GraphRenderer.nodeIds(plan)
        #expect(ids.count == plan.steps.count)
        #expect(Set(ids.values).count == ids.count)
        for id in ids.values {
            #expect(id.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) != nil)
        }
        let edges = plan.steps.reduce(0) { $0 + $1.dependsOn.count }
        let mermaid = GraphRenderer.mermaid(plan)
        let dot = GraphRenderer.dot(plan)
        #expect(mermaid.components(separatedBy: " --> ").count - 1 == edges)
        #expect(dot.components(separatedBy: " -> ").count - 1 == edges)
        #expect(GraphRenderer.mermaid(plan) == mermaid)
    }

    @Test("sanitize collapses anything but letters and digits")
    func sanitize() {
        #expect(GraphRenderer.sanitize("orders-cache/create-group") == "orders_cache_create_group")
        #expect(GraphRenderer.sanitize("a..b//c") == "a_b_c")
    }
}
