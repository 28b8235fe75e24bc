/// Parses and prints durations the way specs and flags write them: `30s`, `5m`, `1h30m`, `2h`.
package enum DurationText {
    /// Seconds in `text`, or nil when it is not a positive duration of `h`, `m` and `s` parts in that order.
    package static func seconds(_ text: String) -> Int? {
        var total = 0
        var number = ""
        var lastRank = 3
        var sawPart = false
        for character in text {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            let rank: Int
            let scale: Int
            switch character {
            case "h": (rank, scale) = (0, 3600)
            case "m": (rank, scale) = (1, 60)
            case "s": (rank, scale) = (2, 1)
            default: return nil
            }
            guard let value = Int(number), rank < lastRank || !sawPart, !(sawPart && rank <= lastRank) else {
                return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            total += product
            lastRank = rank
            sawPart = true
            number = ""
        }
        guard number.isEmpty, sawPart, total > 0 else { return nil }
        return total
    }
}
