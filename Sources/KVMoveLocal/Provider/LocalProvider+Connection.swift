import KVMoveCore

extension LocalProvider {
    /// The plan settings that carry what the sandbox takes from `spec.connection`: the timeouts.
    ///
    /// The sandbox's servers listen on 127.0.0.1 with generated passwords, so address, login and TLS do not
    /// apply; the timeouts do, and steps without `spec.connection` in their planned values (starting the
    /// channel) read them here.
    static let connectionSettings = (
        commandTimeout: "connectionCommandTimeout", replicationTimeout: "connectionReplicationTimeout"
    )

    /// The timeouts of `spec.connection` as plan settings; none when the spec sets none.
    static func settings(for connection: ConnectionSpec?) -> [String: String] {
        var settings: [String: String] = [:]
        settings[connectionSettings.commandTimeout] = connection?.commandTimeoutSeconds.map { "\($0)s" }
        settings[connectionSettings.replicationTimeout] = connection?.replicationTimeoutSeconds.map { "\($0)s" }
        return settings
    }

    /// The timeouts from plan settings, as a connection spec; nil when the plan holds none.
    static func connection(from settings: [String: String]) -> ConnectionSpec? {
        let command = settings[connectionSettings.commandTimeout].flatMap(DurationText.seconds)
        let replication = settings[connectionSettings.replicationTimeout].flatMap(DurationText.seconds)
        guard command != nil || replication != nil else { return nil }
        return ConnectionSpec(commandTimeoutSeconds: command, replicationTimeoutSeconds: replication)
    }
}
