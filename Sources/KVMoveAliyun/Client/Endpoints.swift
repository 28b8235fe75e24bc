/// The endpoints of the APIs kvmove calls, with the environment's overrides.
///
/// Defaults: `r-kvstore.<region>.aliyuncs.com`, `vpc.<region>.aliyuncs.com`, and
/// `sts.aliyuncs.com` (or `sts.<ALIBABA_CLOUD_STS_REGION>.aliyuncs.com`). With
/// ``vpcInternal`` the VPC-internal hosts `<service>-vpc.<region>.aliyuncs.com` are used
/// instead, for runs inside a VPC without Internet access. `ALIBABA_CLOUD_ENDPOINT_R_KVSTORE`,
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
        let suffix = vpcInternal ? "-vpc" : ""
        switch service {
        case .sts:
            if let region = stsRegion ?? (vpcInternal ? region : nil) {
                return ServiceEndpoint(host: "sts\(suffix).\(region).aliyuncs.com")
            }
            return ServiceEndpoint(host: "sts.aliyuncs.com")
        case .rKVStore, .vpc:
            return ServiceEndpoint(host: "\(service.rawValue)\(suffix).\(region ?? "cn-hangzhou").aliyuncs.com")
        }
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
