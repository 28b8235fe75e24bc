import Foundation
import KVMoveCore

/// Which Alibaba Cloud site the account is on: the China site (aliyun.com) or the international
/// site (alibabacloud.com).
///
/// The two differ in what the API offers: `CreateInstance GlobalInstanceId` (adding a classic child
/// to a distributed instance) and `DeleteInstance GlobalInstanceId` (releasing a member) apply only
/// to the China site (the official SDK's `CreateInstanceRequest` and `DeleteInstanceRequest`). The
/// user says which with ``variable``; the default is the China site. Plans record it and show it.
package enum AliyunSite: String, Sendable, Hashable, CaseIterable {
    case china
    case international

    /// The environment variable that names the site: `china` (default) or `international`.
    package static let variable = "KVMOVE_ALIYUN_SITE"
    /// The plan setting that records the site the plan was made for.
    static let setting = "site"

    /// Reads ``variable`` from `environment`; unset or empty is the China site.
    ///
    /// - Throws: ``ProviderError`` naming the accepted values when the variable holds anything else.
    package init(environment: [String: String]) throws(ProviderError) {
        let text = (environment[Self.variable] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        switch text {
        case "", "china", "cn", "aliyun.com": self = .china
        case "international", "intl", "alibabacloud.com": self = .international
        default:
            throw ProviderError(
                source: .kvmove, code: "InvalidSite",
                message: "\(Self.variable)=\(environment[Self.variable] ?? "") is not a site; set it to china "
                    + "(aliyun.com, the default) or international (alibabacloud.com)")
        }
    }

    /// `the China site (aliyun.com)` / `the international site (alibabacloud.com)`.
    package var display: String {
        switch self {
        case .china: "the China site (aliyun.com)"
        case .international: "the international site (alibabacloud.com)"
        }
    }
}
