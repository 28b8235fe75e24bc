/// A sensitive value (a password, an access key secret, a token) that no rendering can show.
///
/// The real value travels inside requests and connection settings, but every way Swift turns a
/// value into text shows ``Secret/redacted`` instead: `description`, `debugDescription`, string
/// interpolation, `dump`, mirrors, and `Encodable` (so JSON plans, journals and logs built from
/// values that hold a `Secret` cannot carry it). Only ``reveal()``, called by a transport just
/// before the value goes on the wire, gives it out. A `Secret` is deliberately not `Decodable`:
/// nothing kvmove writes contains one to read back.
package struct Secret: Sendable, Hashable, Encodable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The text shown instead of a secret value.
    package static let redacted = "(sensitive value)"

    private let value: String

    /// Wraps `value`.
    package init(_ value: String) {
        self.value = value
    }

    /// The real value, for the transport that sends it; never for display.
    package func reveal() -> String { value }

    /// True when the value is the empty string.
    package var isEmpty: Bool { value.isEmpty }

    package var description: String { Secret.redacted }
    package var debugDescription: String { Secret.redacted }
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Encodes ``Secret/redacted``, never the value.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Secret.redacted)
    }
}
