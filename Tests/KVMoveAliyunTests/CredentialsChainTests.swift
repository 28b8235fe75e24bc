import Foundation
import KVMoveSecret
import Testing

@testable import KVMoveAliyun

/// Selection and parsing of the credentials chain; fetching over HTTP is tested end to end against the fake cloud.
@Suite struct CredentialsChainTests {
    static let config = """
        {"current": "default", "profiles": [
          {"name": "default", "mode": "AK", "access_key_id": "LTAIdefault", "access_key_secret": "s3cret-default"},
          {"name": "sts", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "s", "sts_token": "tok"},
          {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIrole", "access_key_secret": "s",
           "ram_role_arn": "acs:ram::1:role/kvmove", "ram_session_name": "ci", "expired_seconds": 900},
          {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsRole"},
          {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role", "ram_role_arn": "acs:ram::1:role/b"},
          {"name": "loop", "mode": "ChainableRamRoleArn", "source_profile": "loop", "ram_role_arn": "r"},
          {"name": "sso", "mode": "CloudSSO"},
          {"name": "broken", "mode": "AK", "access_key_id": "x"}
        ]}
        """

    static func select(_ environment: [String: String], config: String? = Self.config) throws(CredentialsError)
        -> CredentialSource
    {
        try CredentialsChain.select(environment: environment, homeDirectory: "/home/u") { path in
            guard let config, path == "/home/u/.aliyun/config.json" || path == "/custom.json" else {
                throw CocoaError(.fileNoSuchFile)
            }
            return Array(config.utf8)
        }
    }

    @Test func environmentComesFirst() throws {
        let source = try Self.select([
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "envsecret",
            "ALIBABA_CLOUD_SECURITY_TOKEN": "envtoken", "ALIBABA_CLOUD_ROLE_ARN": "ignored",
        ])
        guard case .environment(let id, let secret, let token) = source else {
            Issue.record("expected environment, got \(source.label)")
            return
        }
        #expect(id == "LTAIenv")
        #expect(secret.reveal() == "envsecret")
        #expect(token?.reveal() == "envtoken")
    }

    @Test func halfAnAccessKeyIsAnError() {
        #expect(throws: CredentialsError.self) {
            try Self.select(["ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv"])
        }
    }

    @Test func oidcRoleBeforeTheConfigFile() throws {
        let source = try Self.select([
            "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/ci",
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/gh",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/token",
        ])
        guard case .oidcRole(let role, let provider, let file, let session) = source else {
            Issue.record("expected OIDC, got \(source.label)")
            return
        }
        #expect(role == "acs:ram::1:role/ci")
        #expect(provider == "acs:ram::1:oidc-provider/gh")
        #expect(file == "/var/run/token")
        #expect(session == "kvmove")
    }

    @Test func partialOIDCNamesWhatIsMissing() {
        do {
            _ = try Self.select(["ALIBABA_CLOUD_ROLE_ARN": "r"])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"))
        }
    }

    @Test(arguments: [
        ("default", "AK"), ("sts", "StsToken"), ("role", "RamRoleArn"), ("ecs", "EcsRamRole"),
        ("chain", "ChainableRamRoleArn"),
    ])
    func profileChosenByEnvironment(name: String, mode: String) throws {
        let source = try Self.select(["ALIBABA_CLOUD_PROFILE": name])
        guard case .profile(let profile, let sources, _) = source else {
            Issue.record("expected a profile, got \(source.label)")
            return
        }
        #expect(profile.name == name)
        #expect(profile.modeName == mode)
        #expect(sources.map(\.name) == (name == "chain" ? ["role"] : []))
    }

    @Test func currentProfileByDefaultAndConfigFileOverride() throws {
        let source = try CredentialsChain.select(
            environment: ["ALIBABA_CLOUD_CONFIG_FILE": "/custom.json"], homeDirectory: nil
        ) { path in
            guard path == "/custom.json" else { throw CocoaError(.fileNoSuchFile) }
            return Array(Self.config.utf8)
        }
        guard case .profile(let profile, _, let path) = source else {
            Issue.record("expected a profile")
            return
        }
        #expect(profile.name == "default")
        #expect(path == "/custom.json")
    }

    @Test(arguments: ["loop", "sso", "broken", "missing"])
    func badProfilesAreErrorsNotFallThrough(name: String) {
        #expect(throws: CredentialsError.self) {
            try Self.select(["ALIBABA_CLOUD_PROFILE": name])
        }
    }

    @Test func metadataIsLastAndCanBeDisabled() throws {
        let source = try Self.select(["ALIBABA_CLOUD_ECS_METADATA": "MyRole"], config: nil)
        guard case .ecsMetadata(let role) = source else {
            Issue.record("expected metadata")
            return
        }
        #expect(role == "MyRole")
        do {
            _ = try Self.select(["ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"], config: nil)
            Issue.record("expected an error")
        } catch {
            // The message lists every source tried, in order.
            let text = error.description
            let order = ["environment", "OIDC role", "aliyun CLI config", "ECS RAM role"].map {
                text.range(of: $0)?.lowerBound
            }
            #expect(order.allSatisfy { $0 != nil })
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
        }
    }

    @Test func configFileParsing() throws {
        let file = try CLIConfigFile.parse(Array(Self.config.utf8), path: "config.json")
        #expect(file.current == "default")
        let role = try #require(file.profile("role"))
        #expect(role.mode == .ramRoleArn)
        #expect(role.ramSessionName == "ci")
        #expect(role.expiredSeconds == 900)
        #expect(file.profile("sso")?.mode == nil)
        #expect(throws: CredentialsError.self) { try CLIConfigFile.parse(Array("{".utf8), path: "x") }
    }

    @Test func stsAndMetadataCredentialsParse() throws {
        let json = try JSONValue.parse(
            Array(
                #"{"AccessKeyId":"STS.id","AccessKeySecret":"sk","SecurityToken":"tok","Expiration":"2026-12-01T01:00:00Z"}"#
                    .utf8))
        let credentials = try CredentialsChain.parseCredentials(json, label: "test", what: "STS")
        #expect(credentials.accessKeyId == "STS.id")
        #expect(credentials.securityToken?.reveal() == "tok")
        let expiry = try #require(credentials.expiration)
        #expect(credentials.needsRefresh(at: expiry.addingTimeInterval(-100), margin: 180))
        #expect(!credentials.needsRefresh(at: expiry.addingTimeInterval(-600), margin: 180))
        #expect(!"\(credentials)".contains("sk"))
        #expect(!"\(credentials)".contains("tok"))
    }
}
