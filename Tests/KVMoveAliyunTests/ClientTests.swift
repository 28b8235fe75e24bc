import Foundation
import KVMoveCore
import KVMoveSecret
import Testing

@testable import KVMoveAliyun

/// Endpoints, error classification and the RPC call's shape (with a recording transport).
@Suite struct ClientTests {
    @Test func defaultEndpoints() throws {
        let endpoints = try Endpoints(environment: [:])
        #expect(
            endpoints.endpoint(.rKVStore, region: "cn-shanghai").baseURL == "https://r-kvstore.cn-shanghai.aliyuncs.com"
        )
        #expect(endpoints.endpoint(.vpc, region: "ap-southeast-1").host == "vpc.ap-southeast-1.aliyuncs.com")
        #expect(endpoints.endpoint(.sts, region: "cn-shanghai").host == "sts.aliyuncs.com")
        let inside = try Endpoints(environment: ["ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"])
        #expect(inside.endpoint(.rKVStore, region: "cn-shanghai").host == "r-kvstore-vpc.cn-shanghai.aliyuncs.com")
        #expect(inside.endpoint(.sts, region: "cn-shanghai").host == "sts-vpc.cn-shanghai.aliyuncs.com")
        #expect(inside.publicFallbacks(regions: ["cn-shanghai", "cn-hangzhou"]).isEmpty)
    }

    @Test("VPC-internal hosts only where the endpoint table lists one; elsewhere the public host, said once")
    func vpcEndpointsOnlyWhereListed() throws {
        let inside = try Endpoints(environment: ["ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"])
        // eu-central-1's row of the R-KVStore table names no VPC host: the public one, not a guess.
        #expect(inside.endpoint(.rKVStore, region: "eu-central-1").host == "r-kvstore.eu-central-1.aliyuncs.com")
        #expect(inside.endpoint(.vpc, region: "eu-central-1").host == "vpc.eu-central-1.aliyuncs.com")
        #expect(inside.endpoint(.vpc, region: "cn-hangzhou").host == "vpc-vpc.cn-hangzhou.aliyuncs.com")
        let lines = inside.publicFallbacks(regions: ["eu-central-1", "cn-shanghai", "eu-central-1"])
        #expect(
            lines == [
                "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED is set, but the endpoint table lists no VPC endpoint of r-kvstore "
                    + "in eu-central-1: kvmove calls the public endpoint r-kvstore.eu-central-1.aliyuncs.com (set "
                    + "ALIBABA_CLOUD_ENDPOINT_R_KVSTORE to use another)",
                "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED is set, but the endpoint table lists no VPC endpoint of vpc in "
                    + "eu-central-1: kvmove calls the public endpoint vpc.eu-central-1.aliyuncs.com (set "
                    + "ALIBABA_CLOUD_ENDPOINT_VPC to use another)",
            ])
        #expect(try Endpoints(environment: [:]).publicFallbacks(regions: ["eu-central-1"]).isEmpty)
    }

    @Test func overridesTakeFullURLs() throws {
        let endpoints = try Endpoints(environment: [
            "ALIBABA_CLOUD_ENDPOINT_R_KVSTORE": "http://127.0.0.1:18080",
            "ALIBABA_CLOUD_ENDPOINT_VPC": "https://vpc.example.test/",
            "ALIBABA_CLOUD_ENDPOINT_STS": "sts.example.test",
        ])
        let kvstore = endpoints.endpoint(.rKVStore, region: "cn-hangzhou")
        #expect(kvstore.scheme == "http")
        #expect(kvstore.host == "127.0.0.1")
        #expect(kvstore.port == 18080)
        #expect(kvstore.baseURL == "http://127.0.0.1:18080")
        #expect(endpoints.endpoint(.vpc, region: "x").baseURL == "https://vpc.example.test")
        #expect(endpoints.endpoint(.sts, region: nil).baseURL == "https://sts.example.test")
    }

    @Test(arguments: ["ftp://x", "http://host/path", "http://host:0", "http://host:abc", ""])
    func badOverridesAreRefused(value: String) {
        if value.isEmpty {
            #expect(throws: Never.self) { try Endpoints(environment: ["ALIBABA_CLOUD_ENDPOINT_VPC": value]) }
        } else {
            #expect(throws: EndpointError.self) { try Endpoints(environment: ["ALIBABA_CLOUD_ENDPOINT_VPC": value]) }
        }
    }

    @Test(arguments: [
        ("Throttling", 400, ProviderError.Retry.backoff), ("Throttling.User", 400, .backoff),
        ("Throttling.Api", 403, .backoff), ("Rejected.Throttling", 400, .backoff),
        ("ServiceUnavailable", 503, .backoff), ("InternalError", 500, .backoff), ("SomethingNew", 502, .backoff),
        ("Order.LatestOrderIsHanding", 400, .afterWait), ("IncorrectDBInstanceState", 403, .afterWait),
        ("TaskExists", 400, .afterWait), ("InvalidStatus", 400, .afterWait),
        ("InvalidInstanceId.NotFound", 404, .never), ("IdempotentParameterMismatch", 400, .never),
        ("InstanceReleaseProtection", 403, .never), ("Forbidden.RAM", 403, .never),
    ])
    func errorsAreClassifiedByCode(code: String, status: Int, retry: ProviderError.Retry) {
        #expect(AliyunErrorClassifier.retry(code: code, status: status) == retry)
    }

    @Test func retryAfterHints() {
        // Milliseconds, always, as every official SDK reads it: 400 is 0.4 s, not 400 s.
        #expect(AliyunErrorClassifier.retryAfter(headers: [("x-acs-retry-after", "400")]) == 0.4)
        #expect(AliyunErrorClassifier.retryAfter(headers: [("x-acs-retry-after", "3")]) == 0.003)
        #expect(AliyunErrorClassifier.retryAfter(headers: [("X-Acs-Retry-After", "2500")]) == 2.5)
        // Capped at the SDKs' own 120 s.
        #expect(AliyunErrorClassifier.retryAfter(headers: [("x-acs-retry-after", "86400000")]) == 120)
        #expect(AliyunErrorClassifier.retryAfter(headers: [("x-ratelimit-user", "TimeLeft:9999999")]) == 120)
        #expect(AliyunErrorClassifier.retryAfter(headers: [("x-acs-retry-after", "soon")]) == nil)
        #expect(
            AliyunErrorClassifier.retryAfter(headers: [
                ("x-ratelimit-user-api", "Limit:100,Remain:0,TimeLeft:1500,Reset:1"),
                ("x-ratelimit-user", "TimeLeft:4000"),
            ]) == 4)
        #expect(AliyunErrorClassifier.retryAfter(headers: []) == nil)
    }

    struct Refused: Error {}

    actor Recorder: HTTPTransport {
        var requests: [HTTPExchangeRequest] = []
        let response: HTTPExchangeResponse?

        init(_ response: HTTPExchangeResponse?) { self.response = response }

        func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
            requests.append(request)
            guard let response else { throw Refused() }
            return response
        }

        nonisolated func shutdown() async {}
    }

    static func sender(_ transport: Recorder) -> RPCSender {
        var sender = RPCSender(transport: transport)
        sender.now = { Date(timeIntervalSince1970: 1_796_083_200) }  // 2026-12-01T00:00:00Z
        sender.nonce = { "3156853299f313e23d1673dc12e1703d" }
        return sender
    }

    static let credentials = AliyunCredentials(
        accessKeyId: "testid", accessKeySecret: Secret("testsecret"), securityToken: Secret("tok en"), source: "test")

    @Test func aCallIsSignedPostWithTheQueryInTheURL() async throws {
        let transport = Recorder(HTTPExchangeResponse(status: 200, body: Array(#"{"RequestId":"REQ-1","X":1}"#.utf8)))
        let response = try await Self.sender(transport).call(
            endpoint: ServiceEndpoint(scheme: "http", host: "127.0.0.1", port: 9),
            action: "DescribeInstances", version: "2015-01-01",
            query: [("RegionId", "cn-hangzhou"), ("Tag.1.Key", "kvmove:migration")], credentials: Self.credentials)
        #expect(response.requestId == "REQ-1")
        let sent = try #require(await transport.requests.first)
        #expect(sent.method == "POST")
        #expect(sent.url == "http://127.0.0.1:9/?RegionId=cn-hangzhou&Tag.1.Key=kvmove%3Amigration")
        let headers = Dictionary(sent.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(headers["host"] == "127.0.0.1")
        #expect(headers["x-acs-date"] == "2026-12-01T00:00:00Z")
        #expect(headers["x-acs-security-token"] == "tok en")
        #expect(headers["authorization"]?.hasPrefix("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;") == true)
        #expect(headers["authorization"]?.contains("accept") == false)
    }

    @Test func throttlingAt400IsRetriedWithTheHint() async {
        let body =
            #"{"RequestId":"REQ-2","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#
        let transport = Recorder(
            HTTPExchangeResponse(status: 400, headers: [("x-acs-retry-after", "2000")], body: Array(body.utf8)))
        do {
            _ = try await Self.sender(transport).call(
                endpoint: ServiceEndpoint(host: "h"), action: "DescribeInstances", version: "2015-01-01", query: [],
                credentials: Self.credentials)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "Throttling.User")
            #expect(error.retry == .backoff)
            #expect(error.retryAfterSeconds == 2)
            #expect(error.requestId == "REQ-2")
            #expect(error.description.hasPrefix("(aliyun Throttling.User) DescribeInstances: Request was denied"))
            #expect(error.description.hasSuffix("[request id REQ-2]"))
        }
    }

    @Test func transportFailuresAreRetriedAndNameTheEndpoint() async {
        let transport = Recorder(nil)
        do {
            _ = try await Self.sender(transport).call(
                endpoint: ServiceEndpoint(scheme: "http", host: "127.0.0.1", port: 9), action: "DescribeInstances",
                version: "2015-01-01", query: [], credentials: Self.credentials)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "Transport")
            #expect(error.retry == .backoff)
            #expect(error.message.contains("http://127.0.0.1:9"))
        }
    }

    /// A client whose every call is answered with `status`/`code` (and an optional retry hint), counting calls.
    static func failingClient(_ code: String, status: Int = 400, retryAfter: String? = nil) throws
        -> (AliyunClient, Recorder)
    {
        let body = "{\"RequestId\":\"R\",\"Code\":\"\(code)\",\"Message\":\"m\"}"
        let recorder = Recorder(
            HTTPExchangeResponse(
                status: status, headers: retryAfter.map { [("x-acs-retry-after", $0)] } ?? [], body: Array(body.utf8)))
        let endpoints = try Endpoints(environment: [:])
        let sender = sender(recorder)
        let chain = CredentialsChain(
            environment: ["ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret"],
            homeDirectory: nil, sender: sender, endpoints: endpoints)
        var client = AliyunClient(sender: sender, credentials: chain, endpoints: endpoints)
        client.readBackoffSeconds = 0.001
        return (client, recorder)
    }

    @Test("a read is retried in one layer: at most 6 tries, then final for every layer above")
    func readsHaveOneBoundedRetryLayer() async throws {
        let (client, recorder) = try Self.failingClient("Throttling.User")
        do {
            _ = try await client.call(.rKVStore, "DescribeInstances", region: "cn-hangzhou", [])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "Throttling.User")
            #expect(error.retry == .never, "a read that used its tries must not be retried again above")
            #expect(error.message.contains("gave up after 6 tries"), "\(error.message)")
        }
        #expect(await recorder.requests.count == 6)
    }

    @Test("a read whose next wait would pass its time budget stops there")
    func readsHaveATimeBudget() async throws {
        var (client, recorder) = try Self.failingClient("Throttling.User", retryAfter: "5000")
        client.readBudget = .seconds(2)
        let started = ContinuousClock.now
        do {
            _ = try await client.call(.rKVStore, "DescribeInstanceAttribute", region: "cn-hangzhou", [])
            Issue.record("expected an error")
        } catch {
            #expect(error.retry == .never)
            #expect(error.message.contains("gave up after 1 try"), "\(error.message)")
        }
        // Less than the 5 s hint: the wait was not made (the margin is for a loaded machine, not the logic).
        #expect(ContinuousClock.now - started < .milliseconds(4500))
        #expect(await recorder.requests.count == 1)
    }

    @Test("a changing call is sent once and stays retryable: the applier decides")
    func changesAreNotRetriedHere() async throws {
        let (client, recorder) = try Self.failingClient("Throttling.User")
        do {
            _ = try await client.call(.rKVStore, "ModifyInstanceAttribute", region: "cn-hangzhou", [])
            Issue.record("expected an error")
        } catch {
            #expect(error.retry == .backoff)
            #expect(!error.message.contains("gave up"))
        }
        #expect(await recorder.requests.count == 1)
    }
}
