import KVMoveSecret

/// The source the credentials chain chose, with what it needs to fetch (and refetch) credentials.
package enum CredentialSource: Sendable {
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `…_SECRET` and optional `…_SECURITY_TOKEN`.
    case environment(accessKeyId: String, accessKeySecret: Secret, securityToken: Secret?)
    /// STS `AssumeRoleWithOIDC` with the token read from a file (re-read on every refresh).
    case oidcRole(roleArn: String, providerArn: String, tokenFile: String, sessionName: String)
    /// A profile of the aliyun CLI's config file; `chain` holds the source profiles of a ChainableRamRoleArn, outermost last.
    case profile(CLIProfile, sources: [CLIProfile], path: String)
    /// The ECS instance's RAM role from the metadata service; the role name is looked up when nil.
    case ecsMetadata(roleName: String?)

    /// For messages: which source this is.
    package var label: String {
        switch self {
        case .environment: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)"
        case .oidcRole(let roleArn, _, _, _): "OIDC role \(roleArn)"
        case .profile(let profile, _, let path): "profile \"\(profile.name)\" (\(profile.modeName)) of \(path)"
        case .ecsMetadata(let role): "ECS RAM role" + (role.map { " \($0)" } ?? "")
        }
    }
}
