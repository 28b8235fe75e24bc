import NIOCore
import NIOSSL

extension RESPConnection {
    /// Whether a connection uses TLS, and how it checks the server's certificate.
    package enum TLS: Sendable, Hashable {
        /// Plain TCP.
        case off
        /// TLS, by default verifying the server's certificate against the system trust roots.
        ///
        /// - Parameters:
        ///   - serverName: the name sent for SNI and checked against the certificate; nil uses the host
        ///     when it is a name (an IP address is checked against the certificate's IP addresses instead).
        ///   - caCertificateFile: a PEM file of the certificates to trust instead of the system trust roots.
        ///   - verifyCertificate: false accepts any certificate (encrypts, but does not authenticate the server).
        case on(serverName: String? = nil, caCertificateFile: String? = nil, verifyCertificate: Bool = true)

        /// True unless `.off`.
        package var isEnabled: Bool {
            if case .off = self { return false }
            return true
        }
    }

    /// What a connection to `host` needs for TLS (a context and the server name), or nil when TLS is off.
    static func makeTLSSetup(_ tls: TLS, host: String) throws(RESPConnectFailure) -> TLSSetup? {
        guard case .on(let serverName, let caCertificateFile, let verifyCertificate) = tls else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caCertificateFile { configuration.trustRoots = .file(caCertificateFile) }
        configuration.certificateVerification = verifyCertificate ? .fullVerification : .none
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            let file = caCertificateFile.map { "cannot load the CA certificate file \($0): " } ?? ""
            throw .tlsConfiguration("\(file)\(error)")
        }
        // SNI carries names only: for an IP address, the certificate is checked against the address itself.
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return TLSSetup(context: context, serverName: serverName ?? (isAddress ? nil : host))
    }

    /// A TLS context and the server name to send and check, shared by the connects of one configuration.
    struct TLSSetup: Sendable {
        var context: NIOSSLContext
        var serverName: String?

        /// Adds the TLS handler in front of a channel's pipeline; call on its event loop.
        func addHandler(to channel: any Channel) throws {
            let handler: NIOSSLClientHandler
            do {
                handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
            } catch {
                throw RESPConnectFailure.tlsConfiguration(
                    "the server name \(serverName ?? "") cannot be used for TLS: \(error)")
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    /// A TLS error in words a person can act on.
    static func describeTLSError(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED)"
        }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the server's certificate does not match the expected name (\(extra))"
        }
        if text.contains("WRONG_VERSION_NUMBER") {
            return "the server did not answer in TLS (WRONG_VERSION_NUMBER): it may expect plain TCP on this port"
        }
        return text
    }
}
