import KVMoveSecret

/// The headers kvmove adds to every OpenAPI request before signing it, in one place.
///
/// The client and the test-only sign tool both build requests here, so what the signature
/// oracle checks is what the client sends: `host`, `x-acs-action`, `x-acs-version`,
/// `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`, `x-acs-security-token` with
/// temporary credentials, and `content-type` when a body is sent. Headers the caller already
/// gave are kept, never added twice.
package enum SigningHeaders {
    /// Adds the signing headers to `request` and signs it; returns the request to send and its signature.
    package static func sign(
        _ request: SignableRequest,
        action: String?,
        version: String?,
        date: String,
        nonce: String,
        accessKeyId: String,
        accessKeySecret: Secret,
        securityToken: Secret?
    ) -> (request: SignableRequest, signature: Signature) {
        var signed = request
        func add(_ name: String, _ value: String) {
            if signed.header(name) == nil { signed.headers.append((name, value)) }
        }
        add("host", request.host)
        if let action { add("x-acs-action", action) }
        if let version { add("x-acs-version", version) }
        add("x-acs-date", date)
        add("x-acs-signature-nonce", nonce)
        add("x-acs-content-sha256", ACS3Signer.hexSHA256(request.body))
        if let securityToken { add("x-acs-security-token", securityToken.reveal()) }
        let signature = ACS3Signer().sign(signed, accessKeyId: accessKeyId, accessKeySecret: accessKeySecret)
        signed.headers.append(("Authorization", signature.authorization))
        return (signed, signature)
    }
}
