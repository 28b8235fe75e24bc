import Foundation

/// ISO 8601 timestamps in UTC, second precision.
package enum ISO8601 {
    package static func string(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(
                .colon
            ).timeZone(separator: .omitted))
    }
}
