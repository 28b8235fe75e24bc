/// What signing a request produced: the pieces a test or a log may compare, and the header to send.
package struct Signature: Sendable, Hashable {
    /// The canonical request, exactly as hashed (no trailing newline).
    package var canonicalRequest: String
    /// Lower-case hex SHA-256 of ``canonicalRequest``.
    package var hashedCanonicalRequest: String
    /// `ACS3-HMAC-SHA256\n` followed by ``hashedCanonicalRequest``.
    package var stringToSign: String
    /// The `;`-joined, sorted, lower-case names of the signed headers.
    package var signedHeaders: String
    /// Lower-case hex HMAC-SHA256 of ``stringToSign`` keyed with the access key secret.
    package var signature: String
    /// The full `Authorization` header value.
    package var authorization: String
}
