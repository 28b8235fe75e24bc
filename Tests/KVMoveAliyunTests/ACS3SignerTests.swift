import KVMoveSecret
import Testing

@testable import KVMoveAliyun

/// The worked examples and vectors of the API research note (part 2, §8), computed with the official signer.
@Suite struct ACS3SignerTests {
    static let emptyHash = ACS3Signer.emptyBodyHash
    static let date = "2026-12-01T00:00:00Z"
    static let nonce = "3156853299f313e23d1673dc12e1703d"

    /// The §8.1 query: tags env=prod, team=a b, k3…k10=v.
    static func describeInstancesQuery(globalInstance: String) -> [(name: String, value: String)] {
        var query: [(name: String, value: String)] = [
            ("RegionId", "cn-hangzhou"), ("InstanceIds", "r-bp1zxszhcgatnx****"),
            ("GlobalInstance", globalInstance), ("PageSize", "50"),
            ("Tag.1.Key", "env"), ("Tag.1.Value", "prod"), ("Tag.2.Key", "team"), ("Tag.2.Value", "a b"),
        ]
        for index in 3...10 {
            query.append(("Tag.\(index).Key", "k\(index)"))
            query.append(("Tag.\(index).Value", "v"))
        }
        return query
    }

    @Test func workedExampleAFullSDKHeaders() {
        let request = SignableRequest(
            method: "POST", host: "r-kvstore.aliyuncs.com",
            query: Self.describeInstancesQuery(globalInstance: "True"),
            headers: [
                ("accept", "application/json"), ("host", "r-kvstore.aliyuncs.com"), ("user-agent", "kvmove-test/1.0"),
                ("x-acs-action", "DescribeInstances"), ("x-acs-content-sha256", Self.emptyHash),
                ("x-acs-credentials-provider", "static_ak"), ("x-acs-date", Self.date),
                ("x-acs-signature-nonce", Self.nonce), ("x-acs-version", "2015-01-01"),
            ])
        let signature = ACS3Signer().sign(request, accessKeyId: "testid", accessKeySecret: Secret("testsecret"))
        let tags = (3...9).map { "Tag.\($0).Key=k\($0)&Tag.\($0).Value=v" }.joined(separator: "&")
        let expected = """
            POST
            /
            GlobalInstance=True&InstanceIds=r-bp1zxszhcgatnx%2A%2A%2A%2A&PageSize=50&RegionId=cn-hangzhou&\
            Tag.1.Key=env&Tag.1.Value=prod&Tag.10.Key=k10&Tag.10.Value=v&Tag.2.Key=team&Tag.2.Value=a%20b&\(tags)
            accept:application/json
            host:r-kvstore.aliyuncs.com
            user-agent:kvmove-test/1.0
            x-acs-action:DescribeInstances
            x-acs-content-sha256:\(Self.emptyHash)
            x-acs-credentials-provider:static_ak
            x-acs-date:2026-12-01T00:00:00Z
            x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d
            x-acs-version:2015-01-01

            accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;\
            x-acs-signature-nonce;x-acs-version
            \(Self.emptyHash)
            """
        #expect(signature.canonicalRequest == expected)
        #expect(signature.hashedCanonicalRequest == "7703a709aac6d392446ba094f6740a0e1ee345d50b9cfb18a90a769de60ef4f2")
        #expect(
            signature.authorization
                == "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;user-agent;x-acs-action;"
                + "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
                + "Signature=6c4d72e30838b43458598eedb4a4925fad5c785d110b4f087a0b6d3dce17e684")
    }

    @Test func workedExampleBWithSTSToken() {
        let request = SignableRequest(
            method: "POST", host: "r-kvstore.ap-southeast-1.aliyuncs.com",
            query: [("EffectiveTime", "Immediately"), ("SeedSubInstanceId", "r-t4n0000000000000")],
            headers: [
                ("accept", "application/json"), ("host", "r-kvstore.ap-southeast-1.aliyuncs.com"),
                ("user-agent", "kvmove-test/1.0"), ("x-acs-accesskey-id", "STS.testid"),
                ("x-acs-action", "CreateGlobalDistributeCache"), ("x-acs-content-sha256", Self.emptyHash),
                ("x-acs-credentials-provider", "static_sts"), ("x-acs-date", Self.date),
                ("x-acs-security-token", "CAIS-test-token/+="), ("x-acs-signature-nonce", Self.nonce),
                ("x-acs-version", "2015-01-01"),
            ])
        let signature = ACS3Signer().sign(request, accessKeyId: "STS.testid", accessKeySecret: Secret("testsecret"))
        #expect(signature.canonicalRequest.contains("\nx-acs-security-token:CAIS-test-token/+=\n"))
        #expect(signature.hashedCanonicalRequest == "034367dcb6206fb052fcbc3729205d91293f94b9e8755a809e3d0a35a6166a09")
        #expect(signature.signature == "f5dd5af8b24dc18c2e868a48790cdf5a4e1b127a7da24074fdeda5dc62047e2b")
    }

    @Test func vectorV4MinimalHeadersAsTheClientSends() {
        let request = SignableRequest(
            method: "POST", host: "r-kvstore.aliyuncs.com", query: Self.describeInstancesQuery(globalInstance: "true"))
        let (signed, signature) = SigningHeaders.sign(
            request, action: "DescribeInstances", version: "2015-01-01", date: Self.date, nonce: Self.nonce,
            accessKeyId: "testid", accessKeySecret: Secret("testsecret"), securityToken: nil)
        #expect(
            signature.signedHeaders
                == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version")
        #expect(signature.hashedCanonicalRequest == "d43ece995d71990162e557a339e4458dade2ddb98fcd5c86594a23fd6bbb6c9f")
        #expect(signature.signature == "a5c62ecf7dd4bbcaa89cb84620efd137776a851da7c3bab33fb4f0184044b672")
        #expect(signed.header("authorization") == signature.authorization)
    }

    @Test func vectorV5SecurityTokenWithoutAccessKeyHeader() {
        let request = SignableRequest(
            method: "POST", host: "r-kvstore.ap-southeast-1.aliyuncs.com",
            query: [("SeedSubInstanceId", "r-t4n0000000000000"), ("EffectiveTime", "Immediately")])
        let (_, signature) = SigningHeaders.sign(
            request, action: "CreateGlobalDistributeCache", version: "2015-01-01", date: Self.date, nonce: Self.nonce,
            accessKeyId: "STS.testid", accessKeySecret: Secret("testsecret"),
            securityToken: Secret("CAIS-test-token/+="))
        #expect(
            signature.signedHeaders
                == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version"
        )
        #expect(signature.hashedCanonicalRequest == "02fbb677a2abf1cb8c323b3ecaba9e8d2bee0a4d6e8cd40e815972acf4989ccc")
        #expect(signature.signature == "37d750187b30aa3d00f8dc439854ef273d8495f1d90be2a7690a3ae2953e1e49")
    }

    @Test func vectorV6FormBody() {
        let body = Array("InstanceId=r-bp1zxszhcgatnx%2A%2A%2A%2A&RegionId=cn-hangzhou".utf8)
        #expect(ACS3Signer.hexSHA256(body) == "8672d79e059b979ef741e1cdea6a927b4e2a090366c4fb4d7d96c0754280e3f1")
        let request = SignableRequest(
            method: "POST", host: "r-kvstore.aliyuncs.com",
            headers: [("content-type", "application/x-www-form-urlencoded")], body: body)
        let (_, signature) = SigningHeaders.sign(
            request, action: "DescribeInstanceAttribute", version: "2015-01-01", date: "2024-01-01T00:00:00Z",
            nonce: "0123456789abcdef0123456789abcdef", accessKeyId: "testid", accessKeySecret: Secret("testsecret"),
            securityToken: nil)
        #expect(signature.signedHeaders.hasPrefix("content-type;"))
        #expect(signature.hashedCanonicalRequest == "c8e48c24b0db4833dbd6b73941d2cf6c8e17f4b8c611a478086285bc24019480")
        #expect(signature.signature == "f25f36ee45dcbe3f550b276fa7f5f56751248af1a521ad999be50388fd109b86")
    }

    @Test(arguments: [
        ("a b", "a%20b"), ("*", "%2A"), ("/", "%2F"), (":", "%3A"), ("~", "~"), ("-_.", "-_."), ("", ""),
        ("+=&", "%2B%3D%26"), ("é", "%C3%A9"), ("中", "%E4%B8%AD"), ("🙂", "%F0%9F%99%82"),
    ])
    func percentEncodingIsRFC3986OverUTF8(input: String, expected: String) {
        #expect(ACS3Signer.percentEncode(input) == expected)
    }

    @Test func canonicalQuerySortsByCodePointAndKeepsEmptyValues() {
        let query = ACS3Signer.canonicalQuery([("b", ""), ("a", "1"), ("Z", "z"), ("é", "x"), ("e\u{301}", "y")])
        // Code points: "Z" (0x5A) < "a" < "b" < "e\u{301}" (0x65…) < "é" (0xE9); keys unencoded as the SDK emits them.
        #expect(query == "Z=z&a=1&b=&e\u{301}=y&é=x")
    }

    @Test func canonicalHeadersLowerCaseTrimAndJoinRepeatedSorted() {
        let headers = ACS3Signer.canonicalHeaders([("X-Acs-B", " 2 "), ("x-acs-a", "1"), ("x-acs-b", "1\u{1F}")])
        #expect(headers.map(\.name) == ["x-acs-a", "x-acs-b"])
        #expect(headers.map(\.value) == ["1", "1,2"])
    }

    @Test func securityTokenNeverRenderedBySignerTypes() {
        let secret = Secret("testsecret")
        let request = SignableRequest(method: "POST", host: "h")
        let signature = ACS3Signer().sign(request, accessKeyId: "id", accessKeySecret: secret)
        #expect(!"\(signature)".contains("testsecret"))
    }
}
