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

    package init(
        passwordEnv: String? = nil, username: String? = nil, address: Address = .private, tls: ConnectionTLS? = nil
    ) {
        self.passwordEnv = passwordEnv
        self.username = username
        self.address = address
        self.tls = tls
    }
}
