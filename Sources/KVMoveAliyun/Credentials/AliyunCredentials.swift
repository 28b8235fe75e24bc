import Foundation
import KVMoveSecret

/// An access key (long-lived, or temporary with a security token), and where it came from.
package struct AliyunCredentials: Sendable, CustomStringConvertible {
    package var accessKeyId: String
    package var accessKeySecret: Secret
    /// Set for temporary (STS) credentials; sent as `x-acs-security-token`.
    package var securityToken: Secret?
    /// When temporary credentials stop working; nil for long-lived keys.
    package var expiration: Date?
    /// Where they came from, for messages: `environment`, `OIDC role …`, `profile "x" (AK)`.
    package var source: String

    package init(
        accessKeyId: String, accessKeySecret: Secret, securityToken: Secret? = nil, expiration: Date? = nil,
        source: String
    ) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
        self.source = source
    }

    /// True when they expire within `margin` seconds of `now` (so they must be refreshed first).
    package func needsRefresh(at now: Date, margin: TimeInterval) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) <= margin
    }

    /// The access key id and the source; never the secret or the token.
    package var description: String { "\(accessKeyId) from \(source)" }
}
