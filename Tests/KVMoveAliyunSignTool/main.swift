/// Test-only: signs requests described as JSON lines with kvmove's ACS3-HMAC-SHA256 signer, offline.
///
/// The signature-oracle test runs this tool and the official Python SDK's signer on the same
/// inputs and requires identical output. It is not a product and the shipped binary never
/// contains it. It makes no network call.
///
/// Input: one JSON object per line on stdin:
///
/// ```json
/// {"method": "POST", "host": "r-kvstore.aliyuncs.com", "path": "/",
///  "query": [["RegionId", "cn-hangzhou"], ["Tag.1.Key", "a b"]],
///  "headers": [["x-acs-action", "DescribeInstances"], ["x-acs-version", "2015-01-01"]],
///  "body": "", "accessKeyId": "testid", "accessKeySecret": "testsecret",
///  "securityToken": "optional", "date": "2026-12-01T00:00:00Z",
///  "nonce": "3156853299f313e23d1673dc12e1703d"}
/// ```
///
/// - `method`, `host`, `accessKeyId`, `accessKeySecret`, `date`, `nonce`: required strings.
/// - `path`: optional, default `/`. `body`: optional UTF-8 text, default empty.
/// - `query`: ordered list of `[name, value]` pairs (a name may repeat).
/// - `headers`: ordered list of `[name, value]` pairs, or an object; signed as given.
/// - `action`, `version`: optional; when present they add `x-acs-action` / `x-acs-version`.
/// - `securityToken`: optional; when present it adds `x-acs-security-token`.
///
/// The tool adds, unless `headers` already has them, exactly what kvmove's client adds before
/// signing: `host`, `x-acs-date` (= `date`), `x-acs-signature-nonce` (= `nonce`),
/// `x-acs-content-sha256` (hex SHA-256 of the body) and `x-acs-security-token`. Every header in
/// the final list is signed.
///
/// Output: one JSON object per input line, in order:
///
/// ```json
/// {"authorization": "ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…",
///  "canonicalRequest": "POST\n/\n…", "hashedCanonicalRequest": "…", "signedHeaders": "…",
///  "signature": "…", "headers": [["host", "…"], …]}
/// ```
///
/// `headers` is the full list signed (without `Authorization`), so the oracle can hand the same
/// headers to the official signer. A line that cannot be read gives `{"error": "…"}` and the
/// tool goes on with the next line; the exit status is 1 if any line failed.
import Foundation
import KVMoveAliyun
import KVMoveSecret

var failed = false
while let line = readLine(strippingNewline: true) {
    if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
    let output: [String: Any]
    do {
        output = try sign(line: line)
    } catch {
        failed = true
        output = ["error": "\(error)"]
    }
    let data = try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys, .withoutEscapingSlashes])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
exit(failed ? 1 : 0)

struct InputError: Error, CustomStringConvertible {
    var description: String
}

func sign(line: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw InputError(description: "each line must be a JSON object")
    }
    func string(_ key: String, required: Bool = true) throws -> String? {
        guard let value = object[key], !(value is NSNull) else {
            if required { throw InputError(description: "missing \"\(key)\"") }
            return nil
        }
        guard let text = value as? String else { throw InputError(description: "\"\(key)\" must be a string") }
        return text
    }
    func required(_ key: String) throws -> String {
        guard let value = try string(key) else { throw InputError(description: "missing \"\(key)\"") }
        return value
    }
    func pairs(_ key: String) throws -> [(name: String, value: String)] {
        guard let value = object[key], !(value is NSNull) else { return [] }
        if let dictionary = value as? [String: Any] {
            return try dictionary.keys.sorted().map { name in
                guard let text = dictionary[name] as? String else {
                    throw InputError(description: "\"\(key)\".\(name) must be a string")
                }
                return (name, text)
            }
        }
        guard let list = value as? [Any] else { throw InputError(description: "\"\(key)\" must be a list of pairs") }
        return try list.map { item in
            guard let pair = item as? [Any], pair.count == 2, let name = pair[0] as? String,
                let text = pair[1] as? String
            else { throw InputError(description: "\"\(key)\" items must be [name, value] string pairs") }
            return (name, text)
        }
    }
    let request = SignableRequest(
        method: try required("method"),
        host: try required("host"),
        path: try string("path", required: false) ?? "/",
        query: try pairs("query"),
        headers: try pairs("headers"),
        body: Array((try string("body", required: false) ?? "").utf8)
    )
    let (signed, signature) = SigningHeaders.sign(
        request,
        action: try string("action", required: false),
        version: try string("version", required: false),
        date: try required("date"),
        nonce: try required("nonce"),
        accessKeyId: try required("accessKeyId"),
        accessKeySecret: Secret(try required("accessKeySecret")),
        securityToken: try string("securityToken", required: false).map(Secret.init)
    )
    return [
        "authorization": signature.authorization,
        "canonicalRequest": signature.canonicalRequest,
        "hashedCanonicalRequest": signature.hashedCanonicalRequest,
        "signedHeaders": signature.signedHeaders,
        "signature": signature.signature,
        "headers": signed.headers.filter { $0.name != "Authorization" }.map { [$0.name, $0.value] },
    ]
}
