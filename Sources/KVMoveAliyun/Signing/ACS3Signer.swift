import Crypto
import KVMoveSecret

/// Signs Alibaba Cloud OpenAPI requests with ACS3-HMAC-SHA256, as the official SDKs do.
///
/// The canonical request is
/// `METHOD \n path \n canonical-query \n canonical-headers \n signed-headers \n hex(sha256(body))`:
/// - the canonical query sorts parameters by key in plain Unicode code-point order (so
///   `Tag.1.Key < Tag.1.Value < Tag.10.Key < Tag.2.Key`), keeps every repeated key, emits keys
///   as given and values percent-encoded per RFC 3986 over UTF-8 (space `%20`, `*` `%2A`,
///   `~` kept), with `key=` for an empty value;
/// - every header present is signed: names lower-cased and sorted, values trimmed, repeated
///   names' values sorted and joined with `,`; each line is `name:value\n`.
///
/// The method and path are used as given (RPC calls send `POST` and `/`).
///
/// The signature is hex HMAC-SHA256 of `ACS3-HMAC-SHA256\n` + hex SHA-256 of that text, keyed
/// with the access key secret.
package struct ACS3Signer: Sendable {
    /// The algorithm name that starts the string to sign and the `Authorization` header.
    package static let algorithm = "ACS3-HMAC-SHA256"
    /// Hex SHA-256 of the empty body.
    package static let emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Creates a signer.
    package init() {}

    /// Signs `request` for `accessKeyId` with `accessKeySecret`.
    package func sign(_ request: SignableRequest, accessKeyId: String, accessKeySecret: Secret) -> Signature {
        let canonicalHeaders = Self.canonicalHeaders(request.headers)
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let headerText = canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined()
        let canonicalRequest = [
            request.method,
            request.path.isEmpty ? "/" : request.path,
            Self.canonicalQuery(request.query),
            headerText,
            signedHeaders,
            Self.hexSHA256(request.body),
        ].joined(separator: "\n")
        let hashed = Self.hexSHA256(Array(canonicalRequest.utf8))
        let stringToSign = "\(Self.algorithm)\n\(hashed)"
        let key = SymmetricKey(data: Array(accessKeySecret.reveal().utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)
        let signature = Self.hex(Array(mac))
        return Signature(
            canonicalRequest: canonicalRequest,
            hashedCanonicalRequest: hashed,
            stringToSign: stringToSign,
            signedHeaders: signedHeaders,
            signature: signature,
            authorization: "\(Self.algorithm) Credential=\(accessKeyId),SignedHeaders=\(signedHeaders),"
                + "Signature=\(signature)"
        )
    }

    /// The canonical query string: sorted by key (code points), values RFC 3986-encoded.
    package static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let sorted = query.enumerated().sorted { lhs, rhs in
            let order = compareCodePoints(lhs.element.name, rhs.element.name)
            return order == 0 ? lhs.offset < rhs.offset : order < 0
        }
        return sorted.map { "\($0.element.name)=\(percentEncode($0.element.value))" }.joined(separator: "&")
    }

    /// Signed headers: lower-cased names, sorted, trimmed values, repeated names joined with `,`.
    package static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)]
    {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(trim(header.value))
        }
        return order.sorted { compareCodePoints($0, $1) < 0 }.map { name in
            (name, values[name, default: []].sorted { compareCodePoints($0, $1) < 0 }.joined(separator: ","))
        }
    }

    /// RFC 3986 percent-encoding of the UTF-8 bytes of `text`: only `A-Z a-z 0-9 - _ . ~` stay.
    package static func percentEncode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%"
                result += hexDigits[Int(byte >> 4)]
                result += hexDigits[Int(byte & 0x0F)]
            }
        }
        return result
    }

    /// Lower-case hex SHA-256 of `bytes`.
    package static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(Array(SHA256.hash(data: bytes)))
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    private static let lowerHex = Array("0123456789abcdef")

    private static func hex(_ bytes: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(lowerHex[Int(byte >> 4)])
            text.append(lowerHex[Int(byte & 0x0F)])
        }
        return text
    }

    /// Python's `str.strip()`: removes what `str.isspace()` calls whitespace from both ends.
    private static func trim(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var end = scalars.count
        while start < end, isPythonSpace(scalars[start]) { start += 1 }
        while end > start, isPythonSpace(scalars[end - 1]) { end -= 1 }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start..<end])
        return String(result)
    }

    private static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    /// Compares by Unicode scalar values (Python's string order), not Swift's canonical order.
    private static func compareCodePoints(_ lhs: String, _ rhs: String) -> Int {
        var left = lhs.unicodeScalars.makeIterator()
        var right = rhs.unicodeScalars.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let l?, let r?):
                if l.value != r.value { return l.value < r.value ? -1 : 1 }
            }
        }
    }
}
