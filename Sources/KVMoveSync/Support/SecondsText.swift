/// Durations in the words progress lines use: `45s`, `1m30s`, `2h`.
enum SecondsText {
    /// Whole seconds as `1h2m3s`, leaving out zero parts (`0s` for zero).
    static func format(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        let hours = seconds / 3600
        let minutes = (seconds % 3600) / 60
        let rest = seconds % 60
        return (hours > 0 ? "\(hours)h" : "") + (minutes > 0 ? "\(minutes)m" : "") + (rest > 0 ? "\(rest)s" : "")
    }
}
