/// Stable idempotency tokens derived from the migration name and step.
package enum IdempotencyToken {
    /// `kvmove-<16 hex>`: FNV-1a 64 of `migration/kind`, ≤ 64 ASCII characters as the cloud requires.
    package static func make(migration: String, kind: StepKind) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(migration)/\(kind.rawValue)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "kvmove-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
