import Foundation
import KVMoveCore
import KVMoveSecret

/// The `aliyun` provider: moves ApsaraDB for Redis / Tair instances through the R-KVStore
/// 2015-01-01 and VPC 2016-04-28 APIs, with a Global Distributed Cache as the sync channel.
///
/// One provider is made per command run; it holds one HTTP client (closed by ``shutdown()``)
/// and one credentials chain. Observing batches what the API can batch; each step's requests
/// are built once from its planned values (``requests(for:in:)``), rendered by dry-run and sent
/// by ``send(_:for:in:)``, which also awaits what the step awaits, polling with backoff.
/// Verification and the cutover gates run on the shared data plane, over the Redis protocol,
/// with the password read from the environment variable the plan names.
package struct AliyunProvider: Provider {
    package let name = "aliyun"
    /// The service name of R-KVStore requests.
    static let kvstore = "r-kvstore"
    /// The service name of VPC requests.
    static let vpc = "vpc"
    /// The service name of data-plane requests.
    static let redis = "redis"
    /// The tag that marks what kvmove created for a migration.
    static let tagKey = Tags.migration
    /// The tag on the target that names the distributed instance it was created into.
    static let groupTagKey = "kvmove:group"
    /// The tag on the target that records the last data verification (``VerificationTag``).
    static let verifiedTagKey = "kvmove:verified"
    /// The plan setting that holds the source's region (group calls go there too).
    static let sourceRegionSetting = "sourceRegion"
    /// The plan setting that holds the target's region.
    static let targetRegionSetting = "targetRegion"
    /// Members a distributed instance may have.
    static let memberLimit = 3

    let client: AliyunClient
    let environment: [String: String]
    /// The site the account is on (``AliyunSite/variable``).
    package let site: AliyunSite
    /// First wait between polls; grows by half each poll up to ``maxPollInterval``.
    package var pollInterval: Duration
    /// Longest wait between polls.
    package var maxPollInterval: Duration
    /// How long release-group waits for the cloud to drop a distributed instance whose last member left.
    package var groupReleaseWait: Duration

    /// The environment variable that sets ``groupReleaseWait`` in seconds (default 300; for tests).
    package static let groupReleaseWaitVariable = "KVMOVE_ALIYUN_GROUP_RELEASE_WAIT_SECONDS"

    /// The environment variable that sets the first poll interval, in seconds (for tests against a fake cloud).
    package static let pollVariable = "KVMOVE_ALIYUN_POLL_SECONDS"

    /// A provider for `environment` (credentials, endpoints, passwords) and `homeDirectory` (the aliyun CLI config).
    ///
    /// - Parameter transport: the HTTP transport; a new AsyncHTTPClient when nil.
    /// - Throws: when an endpoint override is not a URL.
    package init(
        environment: [String: String], homeDirectory: String?, transport: (any HTTPTransport)? = nil
    ) throws {
        let endpoints: Endpoints
        do {
            endpoints = try Endpoints(environment: environment)
        } catch {
            throw ProviderError(source: .aliyun, code: "InvalidEndpoint", message: error.description)
        }
        let site = try AliyunSite(environment: environment)
        var sender = RPCSender(transport: transport ?? AsyncHTTPTransport())
        sender.userAgent = "kvmove AlibabaCloud (provider aliyun)"
        let chain = CredentialsChain(
            environment: environment, homeDirectory: homeDirectory, sender: sender, endpoints: endpoints,
            region: environment["ALIBABA_CLOUD_REGION_ID"])
        self.client = AliyunClient(sender: sender, credentials: chain, endpoints: endpoints)
        self.environment = environment
        self.site = site
        let seconds = environment[Self.pollVariable].flatMap(Double.init) ?? 3
        self.pollInterval = .milliseconds(Int(max(0.05, seconds) * 1000))
        self.maxPollInterval = .milliseconds(Int(max(0.05, seconds) * 1000 * 10))
        let releaseWait = environment[Self.groupReleaseWaitVariable].flatMap(Double.init) ?? 300
        self.groupReleaseWait = .milliseconds(Int(max(1, releaseWait) * 1000))
    }

    package func shutdown() async {
        await client.shutdown()
    }

    /// Calls the R-KVStore API.
    func kvstore(_ action: String, region: String?, _ parameters: [(name: String, value: String)])
        async throws(ProviderError)
        -> RPCSender.Response
    {
        try await client.call(.rKVStore, action, region: region, parameters)
    }
}
