/// Parses durations such as `30s`, `5m`, `1h30m` or `2h` into seconds.
///
/// Units are `h`, `m` and `s`, each at most once and in that order, with up to 9 digits each.
package enum DurationText {
    /// The number of seconds `text` stands for, or nil when it is not a duration.
    package static func seconds(_ text: String) -> Int? {
        let units: [(unit: Unicode.Scalar, seconds: Int)] = [("h", 3600), ("m", 60), ("s", 1)]
        var scalars = Substring(text).unicodeScalars[...]
        guard !scalars.isEmpty else { return nil }
        var total = 0
        var unitIndex = 0
        while !scalars.isEmpty {
            let digits = scalars.prefix { ("0"..."9").contains($0) }
            guard !digits.isEmpty, digits.count <= 9 else { return nil }
            scalars = scalars.dropFirst(digits.count)
            guard let unit = scalars.first,
                let found = units[unitIndex...].firstIndex(where: { $0.unit == unit }),
                let value = Int(String(String.UnicodeScalarView(digits)))
            else { return nil }
            total += value * units[found].seconds
            unitIndex = found + 1
            scalars = scalars.dropFirst()
        }
        return total
    }
}
