import Foundation

/// Where one API is reached: scheme, host and port, from a default host or a full-URL override.
package struct ServiceEndpoint: Sendable, Hashable, CustomStringConvertible {
    package var scheme: String
    /// The bare host; it is also the signed `host` header.
    package var host: String
    package var port: Int?

    package init(scheme: String = "https", host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses a full URL such as `https://r-kvstore.cn-hangzhou.aliyuncs.com` or `http://127.0.0.1:8080`.
    ///
    /// A bare host (no scheme) is taken as `https://host`. A path other than `/` is refused: RPC calls go to `/`.
    package init?(url text: String) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var scheme = "https"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        guard scheme == "http" || scheme == "https" else { return nil }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { return nil }
            rest = rest[..<slash]
        }
        var port: Int?
        if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
            rest = rest[..<colon]
        }
        guard !rest.isEmpty, !rest.contains(where: { $0 == " " || $0 == "@" || $0 == "?" || $0 == "#" }) else {
            return nil
        }
        self.init(scheme: scheme, host: String(rest), port: port)
    }

    /// `scheme://host[:port]`.
    package var baseURL: String {
        "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    package var description: String { baseURL }
}
