/// A problem with the user's input, reported together with all the others.
///
/// Rendered as `file:line:col: error: message`, then the source line and a caret under the
/// offending column, the way compilers do.
package struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    /// How serious the problem is.
    package enum Severity: String, Hashable, Sendable, Codable {
        case error
        case warning
        case note
    }

    package var severity: Severity
    package var message: String
    package var location: SourceLocation?
    /// The text of the line at ``location``, for the snippet.
    package var sourceLine: String?
    /// How many columns the caret underline spans (at least 1).
    package var length: Int

    package init(
        _ severity: Severity = .error,
        _ message: String,
        at location: SourceLocation? = nil,
        sourceLine: String? = nil,
        length: Int = 1
    ) {
        self.severity = severity
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
        self.length = max(1, length)
    }

    /// The first line: `file:line:col: error: message`.
    package var headline: String {
        if let location {
            return "\(location): \(severity.rawValue): \(message)"
        }
        return "\(severity.rawValue): \(message)"
    }

    /// The full rendering: headline, then source line and caret when known.
    package var description: String {
        guard let location, let sourceLine else { return headline }
        let shown = sourceLine.replacingTabs()
        let prefixCount = max(0, location.column - 1)
        let lead = String(shown.unicodeScalars.prefix(prefixCount).map { $0 == "\t" ? " " : " " })
        var caret = "^"
        if length > 1 { caret += String(repeating: "~", count: length - 1) }
        return "\(headline)\n\(shown)\n\(lead)\(caret)"
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        // Tabs are kept one column wide so the caret stays aligned with what the loader counted.
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
