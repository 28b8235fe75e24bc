import Foundation
import KVMoveCore
import KVMoveSecret

/// Finds Alibaba Cloud credentials the way its users already have them, caches and refreshes them.
///
/// Order: (1) environment `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
/// (+ `ALIBABA_CLOUD_SECURITY_TOKEN`); (2) an OIDC role: `ALIBABA_CLOUD_ROLE_ARN`,
/// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE` → STS
/// `AssumeRoleWithOIDC`; (3) the aliyun CLI's `~/.aliyun/config.json` (or
/// `ALIBABA_CLOUD_CONFIG_FILE`), profile `ALIBABA_CLOUD_PROFILE` or the file's current one, modes
/// AK, StsToken, RamRoleArn, ChainableRamRoleArn and EcsRamRole; (4) the ECS instance's RAM
/// role from the metadata service (`ALIBABA_CLOUD_ECS_METADATA` names the role,
/// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` skips it, `ALIBABA_CLOUD_ECS_METADATA_ENDPOINT`
/// moves it, for tests). The first source that is configured is used; one that is configured
/// but fails is an error (kvmove does not silently fall through to other credentials).
/// Temporary credentials are refreshed from the same source ``refreshMargin`` before they expire.
package actor CredentialsChain {
    /// The default metadata service.
    package static let defaultMetadataEndpoint = ServiceEndpoint(scheme: "http", host: "100.100.100.200")
    /// Refresh temporary credentials this many seconds before they expire.
    package let refreshMargin: TimeInterval = 180

    private let environment: [String: String]
    private let homeDirectory: String?
    private let readFile: @Sendable (String) throws -> [UInt8]
    private let sender: RPCSender
    private let endpoints: Endpoints
    private let region: String?
    private let now: @Sendable () -> Date
    private var source: CredentialSource?
    private var cached: AliyunCredentials?

    package init(
        environment: [String: String],
        homeDirectory: String?,
        sender: RPCSender,
        endpoints: Endpoints,
        region: String? = nil,
        readFile: @escaping @Sendable (String) throws -> [UInt8] = { path in
            Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.sender = sender
        self.endpoints = endpoints
        self.region = region
        self.readFile = readFile
        self.now = now
    }

    /// Credentials to sign the next request with: cached, refreshed before they expire.
    package func credentials() async throws -> AliyunCredentials {
        if let cached, !cached.needsRefresh(at: now(), margin: refreshMargin) { return cached }
        let source =
            try self.source ?? Self.select(environment: environment, homeDirectory: homeDirectory, readFile: readFile)
        self.source = source
        let fresh = try await fetch(source)
        cached = fresh
        return fresh
    }

    /// Chooses the first configured source, without any network call.
    ///
    /// - Throws: ``CredentialsError`` listing every source tried when none is configured, or
    ///   naming the one that is configured wrongly.
    package static func select(
        environment: [String: String], homeDirectory: String?, readFile: (String) throws -> [UInt8]
    ) throws(CredentialsError) -> CredentialSource {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        var tried: [String] = []
        // 1. Environment.
        let id = value("ALIBABA_CLOUD_ACCESS_KEY_ID")
        let secret = value("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        switch (id, secret) {
        case (let id?, let secret?):
            return .environment(
                accessKeyId: id, accessKeySecret: Secret(secret),
                securityToken: value("ALIBABA_CLOUD_SECURITY_TOKEN").map(Secret.init))
        case (nil, nil):
            tried.append("environment: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET not set")
        default:
            tried.append("environment: only one of ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET set")
            throw CredentialsError(
                tried: tried,
                failure: "set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or neither")
        }
        // 2. OIDC role.
        let oidc = ["ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"]
        let oidcValues = oidc.map(value)
        if let roleArn = oidcValues[0], let providerArn = oidcValues[1], let tokenFile = oidcValues[2] {
            return .oidcRole(
                roleArn: roleArn, providerArn: providerArn, tokenFile: tokenFile,
                sessionName: value("ALIBABA_CLOUD_ROLE_SESSION_NAME") ?? "kvmove")
        } else if oidcValues.contains(where: { $0 != nil }) {
            let missing = zip(oidc, oidcValues).filter { $0.1 == nil }.map(\.0)
            tried.append("OIDC role: \(missing.joined(separator: ", ")) not set")
            throw CredentialsError(
                tried: tried,
                failure:
                    "an OIDC role needs \(oidc.joined(separator: ", ")); missing \(missing.joined(separator: ", "))")
        } else {
            tried.append(
                "OIDC role: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE not set"
            )
        }
        // 3. The aliyun CLI's config file.
        if value("ALIBABA_CLOUD_CLI_PROFILE_DISABLED")?.lowercased() == "true" {
            tried.append("aliyun CLI config: disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
        } else if let path = value("ALIBABA_CLOUD_CONFIG_FILE") ?? homeDirectory.map({ "\($0)/.aliyun/config.json" }) {
            let displayPath = value("ALIBABA_CLOUD_CONFIG_FILE") ?? "~/.aliyun/config.json"
            if let bytes = try? readFile(path) {
                let file = try CLIConfigFile.parse(bytes, path: displayPath)
                let name = value("ALIBABA_CLOUD_PROFILE") ?? file.current ?? "default"
                guard let profile = file.profile(name) else {
                    tried.append("\(displayPath): no profile \"\(name)\"")
                    throw CredentialsError(
                        tried: tried,
                        failure: "\(displayPath) has no profile \"\(name)\" (profiles: "
                            + file.profiles.map(\.name).joined(separator: ", ") + ")")
                }
                let sources = try sourceProfiles(of: profile, in: file, path: displayPath, tried: tried)
                return .profile(profile, sources: sources, path: displayPath)
            }
            tried.append("aliyun CLI config: \(displayPath) not found")
        } else {
            tried.append("aliyun CLI config: no home directory")
        }
        // 4. The ECS metadata service.
        if value("ALIBABA_CLOUD_ECS_METADATA_DISABLED")?.lowercased() == "true" {
            tried.append("ECS RAM role: disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED")
            throw CredentialsError(tried: tried)
        }
        return .ecsMetadata(roleName: value("ALIBABA_CLOUD_ECS_METADATA"))
    }

    /// Checks that `profile` has what its mode needs; for ChainableRamRoleArn, the chain of source profiles.
    private static func sourceProfiles(
        of profile: CLIProfile, in file: CLIConfigFile, path: String, tried: [String]
    ) throws(CredentialsError) -> [CLIProfile] {
        var sources: [CLIProfile] = []
        var current = profile
        var seen: Set<String> = [profile.name]
        while true {
            func need(_ fields: [(String, String?)]) throws(CredentialsError) {
                let missing = fields.filter { $0.1 == nil }.map(\.0)
                guard missing.isEmpty else {
                    throw CredentialsError(
                        tried: tried + ["\(path): profile \"\(current.name)\" incomplete"],
                        failure: "profile \"\(current.name)\" (mode \(current.modeName)) of \(path) lacks "
                            + missing.joined(separator: ", "))
                }
            }
            guard let mode = current.mode else {
                throw CredentialsError(
                    tried: tried + ["\(path): profile \"\(current.name)\" has mode \(current.modeName)"],
                    failure: "profile \"\(current.name)\" of \(path) uses mode \(current.modeName), which kvmove does "
                        + "not support; supported: " + CLIProfile.Mode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            switch mode {
            case .ak:
                try need([("access_key_id", current.accessKeyId), ("access_key_secret", current.accessKeySecret)])
            case .stsToken:
                try need([
                    ("access_key_id", current.accessKeyId), ("access_key_secret", current.accessKeySecret),
                    ("sts_token", current.stsToken),
                ])
            case .ramRoleArn:
                try need([
                    ("access_key_id", current.accessKeyId), ("access_key_secret", current.accessKeySecret),
                    ("ram_role_arn", current.ramRoleArn),
                ])
            case .ecsRamRole: break
            case .chainableRamRoleArn:
                try need([("source_profile", current.sourceProfile), ("ram_role_arn", current.ramRoleArn)])
                guard let next = file.profile(current.sourceProfile ?? ""), !seen.contains(next.name) else {
                    throw CredentialsError(
                        tried: tried + ["\(path): profile \"\(current.name)\" source"],
                        failure:
                            "profile \"\(current.name)\" of \(path): source_profile \"\(current.sourceProfile ?? "")\" "
                            + "is missing or loops back")
                }
                seen.insert(next.name)
                sources.append(next)
                current = next
                continue
            }
            return sources
        }
    }

    // MARK: - Fetching

    private func fetch(_ source: CredentialSource) async throws -> AliyunCredentials {
        switch source {
        case .environment(let id, let secret, let token):
            return AliyunCredentials(
                accessKeyId: id, accessKeySecret: secret, securityToken: token, source: source.label)
        case .oidcRole(let roleArn, let providerArn, let tokenFile, let sessionName):
            let token: String
            do {
                token = String(decoding: try readFile(tokenFile), as: UTF8.self).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            } catch {
                throw CredentialsError(
                    tried: [source.label],
                    failure: "cannot read the OIDC token file ALIBABA_CLOUD_OIDC_TOKEN_FILE=\(tokenFile)")
            }
            return try await assumeRole(
                action: "AssumeRoleWithOIDC",
                query: [
                    ("RoleArn", roleArn), ("OIDCProviderArn", providerArn), ("OIDCToken", token),
                    ("RoleSessionName", sessionName), ("DurationSeconds", "3600"),
                ],
                signer: nil, label: source.label)
        case .profile(let profile, let sources, _):
            return try await fetch(profile: profile, sources: sources, label: source.label)
        case .ecsMetadata(let roleName):
            return try await metadataCredentials(roleName: roleName, label: source.label)
        }
    }

    private func fetch(profile: CLIProfile, sources: [CLIProfile], label: String) async throws -> AliyunCredentials {
        func keyPair() throws -> (String, Secret) {
            guard let id = profile.accessKeyId, let secret = profile.accessKeySecret else {
                throw CredentialsError(
                    tried: [label], failure: "profile \"\(profile.name)\" lacks access_key_id or access_key_secret")
            }
            return (id, Secret(secret))
        }
        switch profile.mode {
        case .ak:
            let (id, secret) = try keyPair()
            return AliyunCredentials(accessKeyId: id, accessKeySecret: secret, source: label)
        case .stsToken:
            let (id, secret) = try keyPair()
            return AliyunCredentials(
                accessKeyId: id, accessKeySecret: secret, securityToken: profile.stsToken.map(Secret.init),
                source: label)
        case .ramRoleArn:
            let (id, secret) = try keyPair()
            let base = AliyunCredentials(accessKeyId: id, accessKeySecret: secret, source: label)
            return try await assumeRole(profile, with: base, label: label)
        case .chainableRamRoleArn:
            guard let first = sources.first else {
                throw CredentialsError(tried: [label], failure: "no source profile")
            }
            let base = try await fetch(profile: first, sources: Array(sources.dropFirst()), label: label)
            return try await assumeRole(profile, with: base, label: label)
        case .ecsRamRole:
            return try await metadataCredentials(roleName: profile.ramRoleName, label: label)
        case nil:
            throw CredentialsError(tried: [label], failure: "unsupported mode \(profile.modeName)")
        }
    }

    private func assumeRole(_ profile: CLIProfile, with base: AliyunCredentials, label: String) async throws
        -> AliyunCredentials
    {
        var query: [(name: String, value: String)] = [
            ("RoleArn", profile.ramRoleArn ?? ""), ("RoleSessionName", profile.ramSessionName ?? "kvmove"),
            ("DurationSeconds", String(profile.expiredSeconds ?? 3600)),
        ]
        if let externalId = profile.externalId { query.append(("ExternalId", externalId)) }
        return try await assumeRole(action: "AssumeRole", query: query, signer: base, label: label)
    }

    private func assumeRole(
        action: String, query: [(name: String, value: String)], signer: AliyunCredentials?, label: String
    ) async throws -> AliyunCredentials {
        let endpoint = endpoints.endpoint(.sts, region: region)
        let response: RPCSender.Response
        do {
            if let signer {
                response = try await sender.call(
                    endpoint: endpoint, action: action, version: Endpoints.Service.sts.version, query: query,
                    credentials: signer)
            } else {
                response = try await sender.callAnonymous(
                    endpoint: endpoint, action: action, version: Endpoints.Service.sts.version, query: query)
            }
        } catch {
            throw CredentialsError(tried: [label], failure: "STS \(action) at \(endpoint) failed: \(error)")
        }
        return try Self.parseCredentials(response.json["Credentials"], label: label, what: "STS \(action)")
    }

    private func metadataCredentials(roleName: String?, label: String) async throws -> AliyunCredentials {
        let base =
            environment["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"].flatMap { ServiceEndpoint(url: $0) }
            ?? Self.defaultMetadataEndpoint
        let tried = [label + " at \(base)"]
        func get(_ path: String, headers: [(name: String, value: String)], method: String = "GET") async throws
            -> HTTPExchangeResponse
        {
            do {
                return try await sender.transport.send(
                    HTTPExchangeRequest(method: method, url: base.baseURL + path, headers: headers, timeoutSeconds: 2))
            } catch {
                throw CredentialsError(
                    tried: tried.map { $0 + ": not reachable (not an ECS instance?)" },
                    failure: roleName == nil && environment["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"] == nil
                        ? nil : "the metadata service at \(base) is not reachable")
            }
        }
        var headers: [(name: String, value: String)] = []
        let tokenResponse = try await get(
            "/latest/api/token", headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")], method: "PUT")
        if tokenResponse.status == 200 {
            headers.append(("X-aliyun-ecs-metadata-token", String(decoding: tokenResponse.body, as: UTF8.self)))
        } else if environment["ALIBABA_CLOUD_IMDSV1_DISABLED"]?.lowercased() == "true" {
            throw CredentialsError(
                tried: tried,
                failure: "the metadata service gave no session token (HTTP \(tokenResponse.status)) "
                    + "and ALIBABA_CLOUD_IMDSV1_DISABLED=true")
        }
        let prefix = "/latest/meta-data/ram/security-credentials/"
        var found = roleName
        if found == nil {
            let response = try await get(prefix, headers: headers)
            let name = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard response.status == 200, !name.isEmpty else {
                throw CredentialsError(
                    tried: tried, failure: "this ECS instance has no RAM role (metadata HTTP \(response.status))")
            }
            found = name.split(separator: "\n").first.map(String.init)
        }
        let role = found ?? ""
        let response = try await get(prefix + role, headers: headers)
        guard response.status == 200, let json = try? JSONValue.parse(response.body) else {
            throw CredentialsError(
                tried: tried,
                failure: "the metadata service gave no credentials for RAM role \(role) (HTTP \(response.status))")
        }
        if let code = json["Code"].string, code != "Success" {
            throw CredentialsError(
                tried: tried, failure: "the metadata service answered Code=\(code) for RAM role \(role)")
        }
        return try Self.parseCredentials(json, label: "ECS RAM role \(role)", what: "the metadata service")
    }

    /// Reads `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`.
    package static func parseCredentials(_ json: JSONValue, label: String, what: String) throws(CredentialsError)
        -> AliyunCredentials
    {
        guard let id = json["AccessKeyId"].string, let secret = json["AccessKeySecret"].string,
            let token = json["SecurityToken"].string
        else {
            throw CredentialsError(
                tried: [label], failure: "\(what) answered without AccessKeyId, AccessKeySecret and SecurityToken")
        }
        let expiration = json["Expiration"].string.flatMap { ISO8601DateFormatter().date(from: $0) }
        return AliyunCredentials(
            accessKeyId: id, accessKeySecret: Secret(secret), securityToken: Secret(token), expiration: expiration,
            source: label)
    }
}
