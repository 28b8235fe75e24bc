/// One sample of a server for the idle gate: who is connected, and how many connections it has accepted.
package struct ClientSnapshot: Sendable, Hashable {
    /// The id of the connection that took the sample.
    package var ownID: Int
    /// Every connection in `CLIENT LIST`, the sampling one included.
    package var clients: [ClientListEntry]
    /// `total_connections_received` from `INFO stats`, read just before `CLIENT LIST`.
    package var connectionsReceived: Int

    /// Creates a snapshot.
    package init(ownID: Int, clients: [ClientListEntry], connectionsReceived: Int) {
        self.ownID = ownID
        self.clients = clients
        self.connectionsReceived = connectionsReceived
    }
}
