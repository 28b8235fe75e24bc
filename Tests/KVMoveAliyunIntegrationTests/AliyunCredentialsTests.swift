import Foundation
import Testing

/// Each link of the credentials chain, end to end: kvmove plan against the fake's STS and metadata endpoints.
@Suite(.serialized, .enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct AliyunCredentialsTests {
    static let roleArn = "acs:ram::1234567890:role/kvmove-ci"
    static let oidcProviderArn = "acs:ram::1234567890:oidc-provider/github"
    static let oidcToken = "eyJhbGciOiJSUzI1NiJ9.e2e-oidc-token.signature"
    static let stsKey = ("STS.NUe2eTemporary01", "sts-Secret-e2e/+=", "CAIS-e2e-security-token/+=")

    /// How one case sets up the chain: extra environment, a config.json, and what the fake must have seen.
    struct ChainCase: CustomStringConvertible, Sendable {
        var description: String
        var environment: [String: String]
        var profiles: String?
        /// The action that fetched the credentials (nil: none, the keys were given).
        var fetchedBy: String?
        /// The access key id the R-KVStore calls were signed with; nil: a key STS or the metadata service issued.
        var signedWith: String?
    }

    static func profileFile(_ current: String) -> String {
        """
        {"current": "\(current)", "profiles": [
          {"name": "ak", "mode": "AK", "access_key_id": "\(AliyunCLI.accessKeyId)",
           "access_key_secret": "\(AliyunCLI.accessKeySecret)", "region_id": "cn-hangzhou"},
          {"name": "sts", "mode": "StsToken", "access_key_id": "\(stsKey.0)", "access_key_secret": "\(stsKey.1)",
           "sts_token": "\(stsKey.2)", "region_id": "cn-hangzhou"},
          {"name": "role", "mode": "RamRoleArn", "access_key_id": "\(AliyunCLI.accessKeyId)",
           "access_key_secret": "\(AliyunCLI.accessKeySecret)", "ram_role_arn": "\(roleArn)",
           "ram_session_name": "kvmove", "expired_seconds": 3600, "region_id": "cn-hangzhou"},
          {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "ak", "ram_role_arn": "\(roleArn)",
           "ram_session_name": "kvmove-chain", "expired_seconds": 3600},
          {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "KVMoveEcsRole", "region_id": "cn-hangzhou"}
        ], "meta_path": ""}
        """
    }

    static let cases: [ChainCase] = [
        ChainCase(description: "environment keys", environment: [:], fetchedBy: nil, signedWith: AliyunCLI.accessKeyId),
        ChainCase(
            description: "environment STS keys with a security token",
            environment: [
                "ALIBABA_CLOUD_ACCESS_KEY_ID": stsKey.0, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": stsKey.1,
                "ALIBABA_CLOUD_SECURITY_TOKEN": stsKey.2,
            ], fetchedBy: nil, signedWith: stsKey.0),
        ChainCase(
            description: "an OIDC token file → AssumeRoleWithOIDC",
            environment: [
                "ALIBABA_CLOUD_ROLE_ARN": roleArn, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": oidcProviderArn,
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "@oidc.token",
            ], fetchedBy: "AssumeRoleWithOIDC"),
        ChainCase(
            description: "config.json profile, mode AK", environment: ["ALIBABA_CLOUD_PROFILE": "ak"],
            profiles: profileFile("sts"), fetchedBy: nil, signedWith: AliyunCLI.accessKeyId),
        ChainCase(
            description: "config.json current profile, mode StsToken", environment: [:],
            profiles: profileFile("sts"), fetchedBy: nil, signedWith: stsKey.0),
        ChainCase(
            description: "config.json profile, mode RamRoleArn", environment: ["ALIBABA_CLOUD_PROFILE": "role"],
            profiles: profileFile("ak"), fetchedBy: "AssumeRole"),
        ChainCase(
            description: "config.json profile, mode ChainableRamRoleArn",
            environment: ["ALIBABA_CLOUD_PROFILE": "chain"], profiles: profileFile("ak"), fetchedBy: "AssumeRole"),
        ChainCase(
            description: "config.json profile, mode EcsRamRole", environment: ["ALIBABA_CLOUD_PROFILE": "ecs"],
            profiles: profileFile("ak"), fetchedBy: "ECSMetadata"),
        ChainCase(
            description: "the ECS instance's RAM role from the metadata service",
            environment: ["ALIBABA_CLOUD_ECS_METADATA_DISABLED": ""], fetchedBy: "ECSMetadata"),
    ]

    @Test("kvmove plan finds credentials through each link of the chain", arguments: cases)
    func chain(_ chainCase: ChainCase) async throws {
        try await AliyunJourneyTests.withWorld { cloud, base in
            try await cloud.control(
                "POST", "seed",
                [
                    "roles": [Self.roleArn: [String: String]()],
                    "oidc_providers": [Self.oidcProviderArn: ["tokens": [Self.oidcToken]]],
                    "ecs_role": ["name": "KVMoveEcsRole"],
                    "temporary_keys": [
                        Self.stsKey.0: [
                            "secret": Self.stsKey.1, "token": Self.stsKey.2,
                            "expires": Date().timeIntervalSince1970 + 3600,
                        ]
                    ],
                ])
            var cli = base
            for name in ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
            where chainCase.description != "environment keys" && chainCase.environment[name] == nil {
                cli.environment.removeValue(forKey: name)
            }
            try cli.write("oidc.token", Self.oidcToken)
            for (name, value) in chainCase.environment {
                cli.environment[name] = value.hasPrefix("@") ? cli.path(String(value.dropFirst())) : value
            }
            if chainCase.environment["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] != nil
                || chainCase.fetchedBy == "ECSMetadata"
            {
                cli.environment.removeValue(forKey: "ALIBABA_CLOUD_ECS_METADATA_DISABLED")
                cli.environment["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"] = cloud.endpoint
            }
            if let profiles = chainCase.profiles { try cli.write("home/.aliyun/config.json", profiles) }
            try cli.write("orders.yaml", AliyunCLI.spec(stage: "sync"))
            try await cloud.resetCalls()
            let plan = try await cli.run(["plan", "-f", cli.path("orders.yaml")])
            #expect(plan.code == 0, "\(plan.out)\n\(plan.err)")
            let log = try await cloud.callLog()
            let actions = log.compactMap { $0["action"] as? String }
            if let fetchedBy = chainCase.fetchedBy {
                #expect(actions.first == fetchedBy, "calls: \(actions)")
            } else {
                #expect(!actions.contains { ["AssumeRole", "AssumeRoleWithOIDC", "ECSMetadata"].contains($0) })
            }
            let kvstore = log.filter { ($0["action"] as? String)?.hasPrefix("Describe") == true }
            #expect(!kvstore.isEmpty)
            for entry in kvstore {
                #expect(entry["status"] as? Int == 200, "\(entry)")
                let key = entry["access_key_id"] as? String ?? ""
                if let signedWith = chainCase.signedWith {
                    #expect(key == signedWith)
                } else {
                    #expect(key.hasPrefix("STS."), "signed with \(key)")
                }
            }
            cli.expectNoSecrets(
                [AliyunCLI.accessKeySecret, Self.stsKey.1, Self.stsKey.2, Self.oidcToken, AliyunCLI.sourcePassword],
                in: [plan.out, plan.err], excluding: [cli.path("oidc.token"), cli.path("home/.aliyun/config.json")])
        }
    }
}
