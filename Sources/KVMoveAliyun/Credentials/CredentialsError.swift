/// No credentials could be found, or a source that was configured failed.
package struct CredentialsError: Error, Sendable, CustomStringConvertible {
    /// One line per source tried, in order, with what was found there.
    package var tried: [String]
    /// Set when a configured source failed (rather than nothing being configured).
    package var failure: String?

    package init(tried: [String], failure: String? = nil) {
        self.tried = tried
        self.failure = failure
    }

    package var description: String {
        var text = failure.map { "Alibaba Cloud credentials failed: \($0)" } ?? "no Alibaba Cloud credentials found"
        text += "; tried, in order:\n" + tried.map { "  - \($0)" }.joined(separator: "\n")
        if failure == nil {
            text +=
                "\nSet ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure an OIDC role "
                + "(ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), "
                + "or run `aliyun configure`, or run kvmove on an ECS instance with a RAM role."
        }
        return text
    }
}
