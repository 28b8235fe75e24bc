/// TLS on the data plane's connections to both instances (`spec.connection.tls`).
///
/// Cloud instances can require TLS (an SSL-enabled instance refuses plain connections). The
/// server's certificate is checked against the system trust roots, or against ``caFile``, and the
/// address's host name is sent for SNI and checked against the certificate.
package struct ConnectionTLS: Codable, Hashable, Sendable {
    /// A PEM file of the certificates to trust instead of the system's (such as the CA certificate the
    /// console offers for download); an absolute path, resolved from the spec file's directory.
    package var caFile: String?
    /// False encrypts without checking who the server is; true (the default) checks its certificate.
    package var verifyCertificate: Bool

    package init(caFile: String? = nil, verifyCertificate: Bool = true) {
        self.caFile = caFile
        self.verifyCertificate = verifyCertificate
    }
}
