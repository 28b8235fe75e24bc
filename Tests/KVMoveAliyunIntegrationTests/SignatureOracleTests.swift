import Foundation
import Testing

/// kvmove's ACS3-HMAC-SHA256 signer agrees with the official Python SDK's on hundreds of generated requests.
@Suite(.enabled(if: PythonTooling.shouldRun, PythonTooling.skipReason))
struct SignatureOracleTests {
    static let caseCount = 400
    static let requiredSigned = [
        "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version",
    ]

    /// The built sign tool beside the test bundle.
    static var signTool: URL {
        let name = "KVMoveAliyunSignTool"
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent(name),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    @Test("kvmove's signer and the official SDK's signer give identical Authorization headers (400 cases)")
    func identicalSignatures() async throws {
        let python = try PythonTooling.require()
        let cases = (0..<Self.caseCount).map(SignCase.generated)
        let toolInput = try cases.map { try Self.line($0.toolInput) }.joined(separator: "\n") + "\n"
        let tool = try await ProcessRun.runDetached(Self.signTool.path, [], stdin: toolInput)
        #expect(tool.code == 0, "the sign tool failed: \(tool.err.suffix(2000))")
        let signed = try Self.lines(tool.out)
        try #require(signed.count == cases.count, "the sign tool answered \(signed.count) of \(cases.count) lines")

        var oracleLines: [String] = []
        for (index, output) in signed.enumerated() {
            let pairs = (output["headers"] as? [[String]]) ?? []
            let headers = Dictionary(pairs.map { ($0[0].lowercased(), $0[1]) }, uniquingKeysWith: { "\($0),\($1)" })
            let names = Set(headers.keys)
            for name in Self.requiredSigned {
                #expect(names.contains(name), "case \(index): \(name) is not signed")
            }
            if cases[index].securityToken != nil {
                #expect(names.contains("x-acs-security-token"), "case \(index): the security token is not signed")
            }
            if cases[index].contentType != nil {
                #expect(names.contains("content-type"), "case \(index): content-type is not signed")
            }
            oracleLines.append(
                try Self.line([
                    "method": cases[index].method, "pathname": "/",
                    "query": Dictionary(cases[index].query, uniquingKeysWith: { $1 }), "headers": headers,
                    "body": cases[index].body, "access_key_id": cases[index].accessKeyId,
                    "access_key_secret": cases[index].accessKeySecret,
                ]))
        }
        let oracle = try await ProcessRun.runDetached(
            python, [PythonTooling.fakeCloudDirectory.appendingPathComponent("sign_oracle.py").path],
            stdin: oracleLines.joined(separator: "\n") + "\n")
        #expect(oracle.code == 0, "the SDK oracle failed: \(oracle.err.suffix(2000))")
        let official = try Self.lines(oracle.out)
        try #require(official.count == cases.count)
        var mismatches = 0
        for index in cases.indices {
            let ours = signed[index]["authorization"] as? String
            let theirs = official[index]["authorization"] as? String
            let pairs = (signed[index]["headers"] as? [[String]]) ?? []
            let sha = pairs.first { $0[0].lowercased() == "x-acs-content-sha256" }?[1]
            #expect(sha == official[index]["content_sha256"] as? String, "case \(index): wrong x-acs-content-sha256")
            #expect(ours?.hasPrefix("ACS3-HMAC-SHA256 Credential=") == true, "case \(index): no signature from kvmove")
            if ours != theirs {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        """
                        case \(index) differs
                          input: \(oracleLines[index])
                          kvmove: \(ours ?? "nil")
                          SDK:    \(theirs ?? "nil")
                          kvmove canonical request:
                        \(signed[index]["canonicalRequest"] as? String ?? "")
                        """)
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(cases.count) signatures differ from the official SDK's")
    }

    static func line(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) ?? [:]
        }
    }
}
