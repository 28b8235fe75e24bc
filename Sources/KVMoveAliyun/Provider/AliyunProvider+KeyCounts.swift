import KVMoveCore
import KVMoveRESP
import KVMoveSync

extension AliyunProvider {
    /// The plan settings that carry `spec.connection`: names only, never a password.
    ///
    /// Steps without it in their planned values (the target's creation) can still reach the instances to
    /// show progress.
    static let connectionSettings = (
        address: "connectionAddress", passwordEnv: "connectionPasswordEnv", username: "connectionUsername",
        tls: "connectionTLS", caFile: "connectionCAFile", commandTimeout: "connectionCommandTimeout"
    )

    /// `spec.connection` as plan settings.
    static func settings(for connection: ConnectionSpec?) -> [String: String] {
        guard let connection else { return [:] }
        var settings = [connectionSettings.address: connection.address.rawValue]
        settings[connectionSettings.passwordEnv] = connection.passwordEnv
        settings[connectionSettings.username] = connection.username
        if let tls = connection.tls {
            settings[connectionSettings.tls] = tls.verifyCertificate ? "verify" : "no-verify"
            settings[connectionSettings.caFile] = tls.caFile
        }
        settings[connectionSettings.commandTimeout] = connection.commandTimeoutSeconds.map { "\($0)s" }
        return settings
    }

    /// `spec.connection` from plan settings; nil when the spec gave none.
    static func connection(from settings: [String: String]) -> ConnectionSpec? {
        guard let address = settings[connectionSettings.address].flatMap(ConnectionSpec.Address.init(rawValue:))
        else { return nil }
        return ConnectionSpec(
            passwordEnv: settings[connectionSettings.passwordEnv], username: settings[connectionSettings.username],
            address: address,
            tls: settings[connectionSettings.tls].map {
                ConnectionTLS(caFile: settings[connectionSettings.caFile], verifyCertificate: $0 != "no-verify")
            },
            commandTimeoutSeconds: settings[connectionSettings.commandTimeout].flatMap(DurationText.seconds))
    }

    /// `keys: source N, target M` read over the Redis protocol (`DBSIZE`), leaving out an instance that cannot
    /// be reached within a few seconds; nil when neither can.
    ///
    /// Only for showing progress while the target is initialized: a failure here never fails the step.
    func keyCounts(source: String, target: String, context: StepContext, skipSource: Bool) async -> (
        text: String?, sourceReached: Bool
    ) {
        guard let connection = Self.connection(from: context.settings),
            connection.passwordEnv.map({ environment[$0] != nil }) ?? true
        else { return (nil, false) }
        func count(_ id: String, region: String?) async -> Int? {
            guard let endpoint = try? await self.endpoint(of: id, region: region, connection: connection) else {
                return nil
            }
            return await withTaskGroup(of: Int?.self) { group in
                group.addTask {
                    guard let link = try? await endpoint.connect(role: ClientRole("progress")) else { return nil }
                    let size = (try? await link.send(RESPCommand("DBSIZE")).int).flatMap { $0.map(Int.init) }
                    await link.close()
                    return size
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(3))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        let sourceKeys =
            skipSource ? nil : await count(source, region: context.settings[Self.sourceRegionSetting])
        let targetKeys = await count(target, region: context.settings[Self.targetRegionSetting])
        let parts = [sourceKeys.map { "source \($0)" }, targetKeys.map { "target \($0)" }].compactMap { $0 }
        return (parts.isEmpty ? nil : "keys: " + parts.joined(separator: ", "), sourceKeys != nil)
    }
}
