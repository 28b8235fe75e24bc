/// The endpoints of the APIs kvmove calls, with the environment's overrides.
///
/// Defaults: `r-kvstore.<region>.aliyuncs.com`, `vpc.<region>.aliyuncs.com`, and
/// `sts.aliyuncs.com` (or `sts.<ALIBABA_CLOUD_STS_REGION>.aliyuncs.com`). With
/// ``vpcInternal`` the VPC-internal hosts `<service>-vpc.<region>.aliyuncs.com` are used
/// instead, for runs inside a VPC without Internet access, but only in the regions whose
/// endpoint table lists one (``vpcRegions``); elsewhere the public host, which
/// ``publicFallbacks(regions:)`` names so the user is told once. `ALIBABA_CLOUD_ENDPOINT_R_KVSTORE`,
/// `ALIBABA_CLOUD_ENDPOINT_VPC` and `ALIBABA_CLOUD_ENDPOINT_STS` override them with a full URL
/// (`http://127.0.0.1:PORT` works, for a test server).
package struct Endpoints: Sendable, Hashable {
    /// The API families kvmove calls.
    package enum Service: String, Sendable, Hashable, CaseIterable {
        case rKVStore = "r-kvstore"
        case vpc
        case sts

        /// The environment variable that overrides this service's endpoint.
        package var overrideVariable: String {
            switch self {
            case .rKVStore: "ALIBABA_CLOUD_ENDPOINT_R_KVSTORE"
            case .vpc: "ALIBABA_CLOUD_ENDPOINT_VPC"
            case .sts: "ALIBABA_CLOUD_ENDPOINT_STS"
            }
        }

        /// The API version sent in `x-acs-version`.
        package var version: String {
            switch self {
            case .rKVStore: "2015-01-01"
            case .vpc: "2016-04-28"
            case .sts: "2015-04-01"
            }
        }
    }

    /// The regions whose endpoint table lists a VPC-internal host, per service.
    ///
    /// R-KVStore: the rows of the API reference's endpoint table (Nov 2024 and the newer localized
    /// copy) that name `r-kvstore-vpc.<region>.aliyuncs.com`, and the Singapore and Hong Kong notice
    /// (Oct 2024); older copies of the table had none for cn-hangzhou, cn-shenzhen, cn-wulanchabu and
    /// cn-wuhan-lr. VPC API: its endpoint table (Jan 2026). STS: the RAM endpoint table (Aug 2025).
    /// Regions whose rows kvmove could not read are left out, so they get the public host: a wrong
    /// guess costs a detour over the Internet, never a host that does not resolve.
    package static let vpcRegions: [Service: Set<String>] = [
        .rKVStore: [
            "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
            "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-wuhan-lr",
            "cn-zhengzhou-jva", "cn-hongkong", "ap-southeast-1", "ap-southeast-2", "ap-southeast-6",
            "ap-northeast-2",
        ],
        .vpc: [
            "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
            "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "ap-southeast-2",
            "ap-southeast-6", "ap-northeast-2",
        ],
        .sts: [
            "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
            "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-wuhan-lr",
            "cn-chengdu", "cn-hongkong", "ap-northeast-1", "ap-northeast-2", "ap-southeast-3", "ap-southeast-7",
        ],
    ]

    /// The environment variable that selects VPC-internal endpoints (`true`/`1`).
    package static let vpcInternalVariable = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"

    private let overrides: [Service: ServiceEndpoint]
    /// Use the VPC-internal hosts.
    package let vpcInternal: Bool
    private let stsRegion: String?

    /// Reads the overrides from `environment`.
    ///
    /// - Throws: ``ProviderErrorFactory``-style `ProviderError` when an override is not a URL.
    package init(environment: [String: String], vpcInternal: Bool? = nil) throws(EndpointError) {
        var overrides: [Service: ServiceEndpoint] = [:]
        for service in Service.allCases {
            guard let text = environment[service.overrideVariable], !text.isEmpty else { continue }
            guard let endpoint = ServiceEndpoint(url: text) else {
                throw EndpointError(variable: service.overrideVariable, value: text)
            }
            overrides[service] = endpoint
        }
        self.overrides = overrides
        let flag = environment[Self.vpcInternalVariable]?.lowercased()
        self.vpcInternal = vpcInternal ?? (flag == "true" || flag == "1")
        self.stsRegion = environment["ALIBABA_CLOUD_STS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The endpoint of `service` for `region`.
    package func endpoint(_ service: Service, region: String?) -> ServiceEndpoint {
        if let override = overrides[service] { return override }
        switch service {
        case .sts:
            if let region = stsRegion ?? (vpcInternal ? region : nil) {
                return ServiceEndpoint(host: "sts\(suffix(.sts, region)).\(region).aliyuncs.com")
            }
            return ServiceEndpoint(host: "sts.aliyuncs.com")
        case .rKVStore, .vpc:
            let region = region ?? "cn-hangzhou"
            return ServiceEndpoint(host: "\(service.rawValue)\(suffix(service, region)).\(region).aliyuncs.com")
        }
    }

    private func suffix(_ service: Service, _ region: String) -> String {
        vpcInternal && Self.vpcRegions[service]?.contains(region) == true ? "-vpc" : ""
    }

    /// What to tell the user about regions without a listed VPC endpoint.
    ///
    /// One line per service and region that VPC-internal endpoints were asked for but the endpoint table
    /// lists none: what kvmove uses instead and how to choose another. Empty when ``vpcInternal`` is off.
    package func publicFallbacks(regions: [String]) -> [String] {
        guard vpcInternal else { return [] }
        var lines: [String] = []
        for service in [Service.rKVStore, .vpc] where !isOverridden(service) {
            let missing = Set(regions).filter { Self.vpcRegions[service]?.contains($0) != true }.sorted()
            for region in missing {
                lines.append(
                    "\(Self.vpcInternalVariable) is set, but the endpoint table lists no VPC endpoint of "
                        + "\(service.rawValue) in \(region): kvmove calls the public endpoint "
                        + "\(endpoint(service, region: region).host) (set \(service.overrideVariable) to use another)")
            }
        }
        return lines
    }

    /// True when `service` was overridden by the environment.
    package func isOverridden(_ service: Service) -> Bool { overrides[service] != nil }
}

/// An endpoint override that is not a usable URL.
package struct EndpointError: Error, Sendable, CustomStringConvertible {
    package var variable: String
    package var value: String

    package var description: String {
        "\(variable)=\(value) is not an endpoint URL; give a full URL such as https://host or http://127.0.0.1:8080"
    }
}
