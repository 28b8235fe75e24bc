/// Decides, sample by sample, whether a server has application traffic; pure, so it is tested without a server.
///
/// A sample is idle when (a) every connected client but the sampling one has a name starting with
/// `kvmove`, and (b) no connection came and went unseen since the previous sample.
///
/// For (b) the first sample is the baseline: its `total_connections_received` and its largest client id.
/// Every later sample compares how much the counter grew since then with how many new connections (ids
/// above the baseline's largest) have appeared in `CLIENT LIST` so far. The difference counts connections
/// that closed before any sample saw them; whenever it rises above its highest value so far, an unseen
/// connection came and went. (Comparing with the highest value, not the previous one, keeps a connection
/// that shows up in `CLIENT LIST` a sample before it shows up in the counter from counting twice.)
///
/// A connection accepted less than a second ago that has no name and has not run a command yet is
/// *settling*: it may be a kvmove connection whose `CLIENT SETNAME` the server has not read yet. It is
/// judged at a later sample instead: by (a) if it is still there, unnamed, or by (b) if it left.
package struct IdleTracker: Sendable {
    /// What one sample says.
    package enum Verdict: Sendable, Hashable {
        /// Only kvmove's connections, and nothing came and went.
        case idle
        /// Clients not named `kvmove…` are connected; each as `addr name=… cmd=…`.
        case clientsConnected([String])
        /// This many connections opened and closed between two samples, unseen.
        case unseenConnections(Int)
    }

    private var baselineConnectionsReceived: Int?
    private var baselineLargestID = 0
    private var newIDsSeen: Set<Int> = []
    private var highestUnexplained = 0

    /// A tracker that has seen no sample yet.
    package init() {}

    /// Takes the next sample and says whether it is idle.
    package mutating func observe(_ snapshot: ClientSnapshot) -> Verdict {
        let judged = snapshot.clients.filter { $0.id != snapshot.ownID && !$0.isSettling }
        let others = judged.filter { !ClientRole.isKVMove(clientName: $0.name) && !$0.isReplicationLink }
        var unseen = 0
        if let baseline = baselineConnectionsReceived, snapshot.connectionsReceived >= baseline {
            for client in judged where client.id > baselineLargestID { newIDsSeen.insert(client.id) }
            // A settling connection is there, so it came and did not go: it explains its count for now.
            let settling = snapshot.clients.count { $0.isSettling && $0.id > baselineLargestID }
            let unexplained = (snapshot.connectionsReceived - baseline) - newIDsSeen.count - settling
            if unexplained > highestUnexplained {
                unseen = unexplained - highestUnexplained
                highestUnexplained = unexplained
            }
        } else {
            // The first sample, or the counter went back (the server restarted): start counting afresh.
            baselineConnectionsReceived = snapshot.connectionsReceived
            baselineLargestID = max(snapshot.ownID, snapshot.clients.map(\.id).max() ?? 0)
            newIDsSeen = []
            highestUnexplained = 0
        }
        if !others.isEmpty { return .clientsConnected(others.map(\.summary)) }
        if unseen > 0 { return .unseenConnections(unseen) }
        return .idle
    }
}
