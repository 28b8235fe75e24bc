/// An IPv4 address or CIDR block, as whitelists take them (`10.0.0.1`, `172.16.0.0/12`, `0.0.0.0/0`).
package struct IPv4Block: Hashable, Sendable, CustomStringConvertible {
    /// The network address, host bits cleared.
    package var network: UInt32
    /// The prefix length, 0 to 32; a lone address is 32.
    package var prefixLength: Int

    /// Parses `a.b.c.d` or `a.b.c.d/n`; nil for anything else (IPv6, host names, octets above 255).
    package init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var address: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCIIDigit), let value = UInt32(octet),
                value <= 255
            else { return nil }
            address = address << 8 | value
        }
        var length = 32
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 2, parts[1].allSatisfy(\.isASCIIDigit),
                let value = Int(parts[1]), value <= 32
            else { return nil }
            length = value
        }
        prefixLength = length
        network = address & Self.mask(length)
    }

    private static func mask(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }

    /// True when every address of `other` is in this block.
    package func contains(_ other: IPv4Block) -> Bool {
        other.prefixLength >= prefixLength && other.network & Self.mask(prefixLength) == network
    }

    package var description: String {
        let octets = [24, 16, 8, 0].map { String((network >> UInt32($0)) & 0xff) }
        return octets.joined(separator: ".") + "/\(prefixLength)"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
