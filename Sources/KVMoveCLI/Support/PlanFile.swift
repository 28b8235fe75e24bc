import Crypto
import Foundation
import KVMoveCore

/// A saved plan (`kvmove plan -out FILE`): the plan, the specs' paths, and a digest of the
/// observed facts it relied on.
struct PlanFile: Codable {
    /// Changes when the file layout changes incompatibly.
    static let fileVersion = 2

    var kvmovePlanFile: Int
    var specFiles: [String]
    var factsDigest: String
    var plan: Plan

    enum CodingKeys: String, CodingKey {
        case kvmovePlanFile = "kvmove_plan_file"
        case specFiles = "spec_files"
        case factsDigest = "facts_digest"
        case plan
    }

    init(plan: Plan, specFiles: [String]) {
        self.kvmovePlanFile = Self.fileVersion
        self.specFiles = specFiles
        self.plan = plan
        self.factsDigest = Self.digest(plan)
    }

    /// `sha256:<hex>` over every migration's facts, provider settings and steps (with their planned
    /// values), in a canonical order: a hand-edited plan cannot make apply do what was not reviewed.
    static func digest(_ plan: Plan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for migration in plan.migrations.sorted(by: { $0.spec.name < $1.spec.name }) {
            text += "migration \(migration.spec.name)\n"
            for (key, value) in migration.facts.sorted(by: { $0.key < $1.key }) { text += "\(key)=\(value)\n" }
            for (key, value) in migration.settings.sorted(by: { $0.key < $1.key }) {
                text += "setting \(key)=\(value)\n"
            }
            for step in migration.steps {
                let encoded = (try? encoder.encode(step)).map { String(decoding: $0, as: UTF8.self) }
                text += "step \(encoded ?? step.id)\n"
            }
        }
        let hash = SHA256.hash(data: Data(text.utf8))
        return "sha256:" + hash.map { String(format: "%02x", $0) }.joined()
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError("cannot write the plan to \(path): \(error.localizedDescription)")
        }
    }

    static func read(_ path: String) throws -> PlanFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError("cannot read the plan file \(path): \(error.localizedDescription)")
        }
        struct Header: Decodable {
            var kvmovePlanFile: Int
            enum CodingKeys: String, CodingKey { case kvmovePlanFile = "kvmove_plan_file" }
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw CLIError("\(path) is not a kvmove plan file (write one with kvmove plan -out FILE)")
        }
        guard header.kvmovePlanFile == fileVersion else {
            throw CLIError(
                "\(path) has plan file version \(header.kvmovePlanFile); this kvmove reads version \(fileVersion). "
                    + "Make the plan again with this kvmove: kvmove plan -out FILE")
        }
        let file: PlanFile
        do { file = try JSONDecoder().decode(PlanFile.self, from: data) } catch {
            throw CLIError("\(path) is not a kvmove plan file (write one with kvmove plan -out FILE)")
        }
        guard digest(file.plan) == file.factsDigest else {
            throw CLIError(
                "\(path) was modified after it was saved (its facts digest does not match); run kvmove plan again")
        }
        return file
    }

    /// The facts that differ between the saved plan and a fresh observation, as readable lines.
    static func staleFacts(_ plan: Plan, observed: [String: ObservedMigration]) -> [String] {
        var changes: [String] = []
        for migration in plan.migrations {
            // Provider settings count as facts: a plan made for one sandbox is not applied to another.
            func withSettings(_ facts: [String: String], _ settings: [String: String]) -> [String: String] {
                facts.merging(settings.map { ("setting.\($0.key)", $0.value) }) { $1 }
            }
            let then = withSettings(migration.facts, migration.settings)
            let seen = observed[migration.spec.name]
            let now = seen.map { withSettings($0.facts, $0.settings) } ?? [:]
            let keys = Set(then.keys).union(now.keys).sorted()
            for key in keys where then[key] != now[key] {
                let was = then[key].map { "\"\($0)\"" } ?? "unset"
                let isNow = now[key].map { "\"\($0)\"" } ?? "unset"
                changes.append("\(migration.spec.name): \(key) was \(was), now \(isNow)")
            }
        }
        return changes
    }
}
