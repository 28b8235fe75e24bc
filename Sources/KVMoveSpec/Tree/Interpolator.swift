/// Expands `${VAR}` references in scalar values from an environment.
///
/// `$${` is an escape for a literal `${`. A `$` not followed by `{` is kept as is.
struct Interpolator: Sendable {
    /// One problem found while expanding a value.
    struct Problem: Sendable, Equatable {
        /// The 0-based index, among all `${` substrings of the original value, of the bad reference.
        var ordinal: Int
        /// The reference as written (like `${KVMOVE_ENV}`), for the underline.
        var reference: String
        var message: String
    }

    let environment: [String: String]

    /// Expands `text`, returning the result and any problems (unset or malformed references).
    func expand(_ text: String) -> (text: String, problems: [Problem]) {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains("$") else { return (text, []) }
        var output = String.UnicodeScalarView()
        var problems: [Problem] = []
        var ordinal = 0  // how many "${" substrings were passed so far
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            let afterNext = index + 2 < scalars.count ? scalars[index + 2] : nil
            if scalar == "$", next == "$", afterNext == "{" {
                // `$${` → literal `${`; the `${` inside it still counts as a substring.
                output.append(contentsOf: "${".unicodeScalars)
                ordinal += 1
                index += 3
                continue
            }
            guard scalar == "$", next == "{" else {
                output.append(scalar)
                index += 1
                continue
            }
            let nameStart = index + 2
            var end = nameStart
            while end < scalars.count, scalars[end] != "}", end - nameStart <= 256 { end += 1 }
            guard end < scalars.count, scalars[end] == "}" else {
                problems.append(
                    Problem(
                        ordinal: ordinal,
                        reference: "${",
                        message: "unclosed variable reference: \"${\" needs a closing \"}\" (write \"$${\" for a "
                            + "literal \"${\")"
                    )
                )
                output.append(contentsOf: scalars[index...])
                break
            }
            var nameView = String.UnicodeScalarView()
            nameView.append(contentsOf: scalars[nameStart..<end])
            let name = String(nameView)
            var referenceView = String.UnicodeScalarView()
            referenceView.append(contentsOf: scalars[index...end])
            let reference = String(referenceView)
            if !Self.isValidName(name) {
                problems.append(
                    Problem(
                        ordinal: ordinal,
                        reference: reference,
                        message: "invalid variable reference \(quoted(reference)): a name must start with a letter "
                            + "or \"_\" and contain only letters, digits and \"_\""
                    )
                )
                output.append(contentsOf: reference.unicodeScalars)
            } else if let value = environment[name] {
                output.append(contentsOf: value.unicodeScalars)
            } else {
                problems.append(
                    Problem(
                        ordinal: ordinal,
                        reference: reference,
                        message: "environment variable \(name) is not set (referenced as \(quoted(reference)))"
                    )
                )
                output.append(contentsOf: reference.unicodeScalars)
            }
            ordinal += 1
            index = end + 1
        }
        return (String(output), problems)
    }

    /// True for `[A-Za-z_][A-Za-z0-9_]*`.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIILetter || ("0"..."9").contains($0) }
    }
}
