/// What a data-plane connection is for; it names the connection `kvmove-<role>` on the server.
///
/// Every connection the data plane opens is named this way (`CLIENT SETNAME`), so kvmove's own
/// connections are recognisable in `CLIENT LIST`, and the idle gate does not count them as applications.
package struct ClientRole: Sendable, Hashable, CustomStringConvertible {
    /// The prefix of every name kvmove gives its connections.
    package static let namePrefix = "kvmove"

    /// The part after `kvmove-`, such as `verify`.
    package var name: String

    /// A role named `name`; the connection is named `kvmove-<name>`.
    package init(_ name: String) {
        self.name = name
    }

    /// Connections of the verifier.
    package static let verify = ClientRole("verify")
    /// The idle gate's probe connection.
    package static let gate = ClientRole("gate")
    /// Connections of the scan copier.
    package static let copy = ClientRole("copy")
    /// Connections of the live sync channel.
    package static let sync = ClientRole("sync")

    /// `kvmove-<name>`.
    package var clientName: String { "\(Self.namePrefix)-\(name)" }

    package var description: String { clientName }

    /// Whether a `CLIENT LIST` name is one of kvmove's (it starts with `kvmove`).
    package static func isKVMove(clientName: String) -> Bool {
        clientName.hasPrefix(namePrefix)
    }
}
