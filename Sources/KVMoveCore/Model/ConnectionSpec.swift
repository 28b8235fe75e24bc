/// How kvmove reaches both instances over the Redis protocol (verification, cutover gates).
///
/// `spec.connection` in YAML. The password itself is never in a spec, plan, journal or log:
/// ``passwordEnv`` names the environment variable that holds it at apply time.
package struct ConnectionSpec: Codable, Hashable, Sendable {
    /// Which address of an instance to use.
    package enum Address: String, Codable, Hashable, Sendable, CaseIterable {
        /// The address inside the instance's VPC (the default).
        case `private`
        /// The instance's public endpoint, which must have been allocated.
        case `public`
    }

    /// The environment variable that holds the password of the account both instances share.
    package var passwordEnv: String?
    /// The account name, for ACL accounts; nil logs in with the password alone.
    package var username: String?
    package var address: Address
    /// TLS settings; nil connects over plain TCP.
    package var tls: ConnectionTLS?
    /// How long a server may take to answer a command before the connection is closed, in seconds
    /// (`spec.connection.commandTimeout`); nil: the data plane's default (30 s).
    package var commandTimeoutSeconds: Int?
    /// How long the source's replication stream may be silent before the channel drops it and continues
    /// with `PSYNC`, in seconds (`spec.connection.replicationTimeout`); nil: the default (60 s).
    package var replicationTimeoutSeconds: Int?

    package init(
        passwordEnv: String? = nil, username: String? = nil, address: Address = .private, tls: ConnectionTLS? = nil,
        commandTimeoutSeconds: Int? = nil, replicationTimeoutSeconds: Int? = nil
    ) {
        self.passwordEnv = passwordEnv
        self.username = username
        self.address = address
        self.tls = tls
        self.commandTimeoutSeconds = commandTimeoutSeconds
        self.replicationTimeoutSeconds = replicationTimeoutSeconds
    }

    /// The shortest `replicationTimeout` accepted: longer than a primary's default ping period (10 s), or an
    /// idle but healthy link would be dropped again and again.
    package static let minimumReplicationTimeoutSeconds = 11
}
