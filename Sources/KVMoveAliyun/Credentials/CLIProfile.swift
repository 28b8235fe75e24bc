/// One profile of the aliyun CLI's `~/.aliyun/config.json`.
package struct CLIProfile: Sendable, Hashable {
    /// The credential modes kvmove supports.
    package enum Mode: String, Sendable, Hashable, CaseIterable {
        case ak = "AK"
        case stsToken = "StsToken"
        case ramRoleArn = "RamRoleArn"
        case chainableRamRoleArn = "ChainableRamRoleArn"
        case ecsRamRole = "EcsRamRole"
    }

    package var name: String
    /// The mode as written; ``mode`` is nil when kvmove does not support it.
    package var modeName: String
    package var accessKeyId: String?
    package var accessKeySecret: String?
    package var stsToken: String?
    package var ramRoleArn: String?
    package var ramSessionName: String?
    package var ramRoleName: String?
    package var sourceProfile: String?
    package var externalId: String?
    package var expiredSeconds: Int?
    package var stsRegion: String?
    package var regionId: String?

    package var mode: Mode? { Mode(rawValue: modeName) }

    package init(name: String, modeName: String) {
        self.name = name
        self.modeName = modeName
    }
}
