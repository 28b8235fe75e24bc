import Foundation

/// A decoded JSON value, read leniently: the API mixes `"1"`/`1`/`true` for the same field.
package enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses `bytes` as JSON.
    package static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The member `key` of an object; `.null` otherwise.
    package subscript(key: String) -> JSONValue {
        if case .object(let members) = self { return members[key] ?? .null }
        return .null
    }

    /// The value as text: strings as is, numbers without a trailing `.0`, booleans as `true`/`false`.
    package var string: String? {
        switch self {
        case .string(let text): text
        case .number(let number):
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    /// The value as an integer (from a number or a numeric string).
    package var int: Int? {
        switch self {
        case .number(let number): Int(exactly: number.rounded())
        case .string(let text): Int(text)
        default: nil
        }
    }

    /// The value as a flag: `true`, `"true"`, `"True"`, `1` and `"1"` are true.
    package var bool: Bool? {
        switch self {
        case .bool(let flag): flag
        case .number(let number): number != 0
        case .string(let text):
            switch text.lowercased() {
            case "true", "1": true
            case "false", "0", "": false
            default: nil
            }
        default: nil
        }
    }

    /// The elements of an array; an empty list for anything else.
    ///
    /// A lone object counts as one element.
    package var array: [JSONValue] {
        switch self {
        case .array(let items): items
        case .object: [self]
        default: []
        }
    }

    /// The elements of a list that the API may wrap: an array, or an object whose only member is an array
    /// (`{"SubInstance": [...]}`), or one object standing alone.
    package var elements: [JSONValue] {
        if case .object(let members) = self, members.count == 1, case .array(let items)? = members.values.first {
            return items
        }
        return array
    }

    /// True for `.null`.
    package var isNull: Bool { self == .null }
}
