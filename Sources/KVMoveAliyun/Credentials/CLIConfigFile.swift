import Foundation

/// The aliyun CLI's configuration file (`~/.aliyun/config.json`): profiles and the current one.
package struct CLIConfigFile: Sendable, Hashable {
    package var current: String?
    package var profiles: [CLIProfile]

    package init(current: String?, profiles: [CLIProfile]) {
        self.current = current
        self.profiles = profiles
    }

    /// Reads the file's JSON; `path` is used in error messages only.
    package static func parse(_ bytes: [UInt8], path: String) throws(CredentialsError) -> CLIConfigFile {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw CredentialsError(tried: ["\(path): not valid JSON"], failure: "\(path) is not valid JSON")
        }
        guard case .object = json else {
            throw CredentialsError(tried: ["\(path): not a JSON object"], failure: "\(path) is not a JSON object")
        }
        var profiles: [CLIProfile] = []
        for item in json["profiles"].array {
            guard let name = item["name"].string else { continue }
            var profile = CLIProfile(name: name, modeName: item["mode"].string ?? "AK")
            profile.accessKeyId = nonEmpty(item["access_key_id"].string)
            profile.accessKeySecret = nonEmpty(item["access_key_secret"].string)
            profile.stsToken = nonEmpty(item["sts_token"].string)
            profile.ramRoleArn = nonEmpty(item["ram_role_arn"].string)
            profile.ramSessionName = nonEmpty(item["ram_session_name"].string)
            profile.ramRoleName = nonEmpty(item["ram_role_name"].string)
            profile.sourceProfile = nonEmpty(item["source_profile"].string)
            profile.externalId = nonEmpty(item["external_id"].string)
            profile.expiredSeconds = item["expired_seconds"].int
            profile.stsRegion = nonEmpty(item["sts_region"].string)
            profile.regionId = nonEmpty(item["region_id"].string)
            profiles.append(profile)
        }
        return CLIConfigFile(current: nonEmpty(json["current"].string), profiles: profiles)
    }

    /// The profile named `name`.
    package func profile(_ name: String) -> CLIProfile? {
        profiles.first { $0.name == name }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
