import Foundation

/// One generated request to sign twice: with kvmove's signer (the sign tool) and with the official SDK's.
struct SignCase {
    var method: String
    var host: String
    var action: String
    var version: String
    var query: [(String, String)]
    var body: String
    var contentType: String?
    var accessKeyId: String
    var accessKeySecret: String
    var securityToken: String?
    var date: String
    var nonce: String

    /// The sign tool's input line (documented in `Tests/KVMoveAliyunSignTool/main.swift`).
    var toolInput: [String: Any] {
        var object: [String: Any] = [
            "method": method, "host": host, "path": "/", "query": query.map { [$0.0, $0.1] },
            "headers": contentType.map { [["content-type", $0]] } ?? [], "body": body,
            "action": action, "version": version, "accessKeyId": accessKeyId,
            "accessKeySecret": accessKeySecret, "date": date, "nonce": nonce,
        ]
        if let securityToken { object["securityToken"] = securityToken }
        return object
    }
}

/// A deterministic generator (SplitMix64), so a failing case can be reproduced from its index.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

extension SignCase {
    /// Values that exercise encoding: spaces, reserved and odd characters, non-ASCII, empty.
    static let awkwardValues = [
        "orders cache", "a+b=c&d", "100%", "*~/:", "订单缓存", "Grüße-éà", "emoji 🚀", "", "x y  z", "tab\tnl",
        "quote\"'", "[brackets]{}", "semi;colon,comma", "hash#question?", "at@dollar$", "pipe|caret^`",
        "r-bp1zxszhcgatnx****", "kvmove:migration", "~tilde-_.", "back\\slash", "plus+space %20",
    ]

    static let actions: [(String, String, [String])] = [
        ("DescribeInstances", "2015-01-01", ["r-kvstore.aliyuncs.com", "r-kvstore.ap-southeast-1.aliyuncs.com"]),
        ("CreateInstance", "2015-01-01", ["r-kvstore.cn-shanghai.aliyuncs.com", "127.0.0.1:18080"]),
        ("CreateGlobalDistributeCache", "2015-01-01", ["r-kvstore-vpc.cn-hangzhou.aliyuncs.com"]),
        ("ModifyInstanceMinorVersion", "2015-01-01", ["r-kvstore.aliyuncs.com"]),
        ("DescribeVSwitches", "2016-04-28", ["vpc.cn-hangzhou.aliyuncs.com", "vpc.aliyuncs.com"]),
        ("AssumeRole", "2015-04-01", ["sts.aliyuncs.com", "sts.cn-hangzhou.aliyuncs.com"]),
    ]

    /// Case number `index` of a reproducible set.
    static func generated(_ index: Int) -> SignCase {
        var random = SeededGenerator(state: UInt64(index) &* 7919 &+ 17)
        let (action, version, hosts) = actions[index % actions.count]
        var query: [(String, String)] = [("RegionId", ["cn-hangzhou", "ap-southeast-1", "eu-central-1"][index % 3])]
        func value() -> String { awkwardValues[Int.random(in: 0..<awkwardValues.count, using: &random)] }
        let tagCount = [0, 1, 2, 3, 9, 10, 11, 12][Int.random(in: 0..<8, using: &random)]
        for tag in stride(from: tagCount, to: 0, by: -1) {  // given out of order on purpose
            query.append(("Tag.\(tag).Key", value()))
            query.append(("Tag.\(tag).Value", value()))
        }
        for name in ["InstanceName", "InstanceIds", "Password", "Token", "PageSize"].shuffled(using: &random)
            .prefix(Int.random(in: 0...3, using: &random))
        {
            query.append((name, name == "PageSize" ? "50" : value()))
        }
        let withBody = index % 7 == 3
        let body =
            withBody
            ? "InstanceId=r-bp1abc&Description="
                + (value().addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            : ""
        let token: String? =
            index % 3 == 0 ? "CAIS\(index)+token/with=odd==" + (index % 2 == 0 ? "/AbC+9" : "") : nil
        return SignCase(
            method: index % 11 == 5 ? "GET" : "POST", host: hosts[index % hosts.count], action: action,
            version: version, query: query, body: body,
            contentType: withBody ? "application/x-www-form-urlencoded" : nil,
            accessKeyId: index % 3 == 0 ? "STS.NUoracle\(index)" : "LTAI5toracle\(index % 13)",
            accessKeySecret: "secret-\(index)/+=" + (index % 5 == 0 ? "ü" : ""), securityToken: token,
            date: String(
                format: "2026-12-%02dT%02d:%02d:%02dZ", 1 + index % 28, index % 24, index % 60, (index * 7) % 60),
            nonce: String(format: "%016llx%016llx", random.next(), random.next()))
    }
}
