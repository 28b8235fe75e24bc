import KVMoveCore

/// ANSI SGR styling for terminal output that collapses to plain text when colour is off.
///
/// With `enabled == false` every function returns its input unchanged, so callers never need
/// to branch on colour themselves and plain output never contains an escape byte.
struct TerminalStyle: Sendable {
    /// One SGR attribute.
    enum Attribute: Int, Sendable {
        case bold = 1
        case red = 31
        case green = 32
        case yellow = 33
        case cyan = 36
    }

    /// Whether escape codes are written at all.
    var enabled: Bool

    /// Wraps `text` in the given attributes and a reset, or returns it as is when colour is off.
    func paint(_ text: String, _ attributes: Attribute...) -> String {
        guard enabled, !attributes.isEmpty, !text.isEmpty else { return text }
        let codes = attributes.map { String($0.rawValue) }.joined(separator: ";")
        return "\u{1B}[\(codes)m\(text)\u{1B}[0m"
    }

    /// The action's symbol in its colour: green `+`, yellow `~`, red `-`, cyan `>`.
    func symbol(_ action: StepAction) -> String {
        paint(action.symbol, color(of: action))
    }

    /// The colour that marks an action.
    func color(of action: StepAction) -> Attribute {
        switch action {
        case .create: .green
        case .change: .yellow
        case .release: .red
        case .check: .cyan
        }
    }
}
