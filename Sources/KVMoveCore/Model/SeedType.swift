/// Redis data types the seeder can generate.
package enum SeedType: String, Codable, Hashable, Sendable, CaseIterable {
    case string
    case list
    case hash
    case set
    case zset
    case stream
}
