import Foundation
import KVMoveCore

/// Renders a plan as its versioned JSON document (``PlanJSONDocument``).
///
/// The output is stable byte for byte for a given plan: keys sorted, pretty printed, slashes
/// unescaped, one trailing newline.
enum PlanJSONRenderer {
    /// Renders the plan as pretty-printed JSON ending with a newline.
    static func render(_ plan: Plan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(PlanJSONDocument(plan))
        } catch {
            // Strings, numbers, booleans and dictionaries of strings always encode.
            preconditionFailure("encoding the plan document failed: \(error)")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
