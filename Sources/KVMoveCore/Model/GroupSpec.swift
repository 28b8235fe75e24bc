/// The active-active ("global distributed cache") group.
package struct GroupSpec: Codable, Hashable, Sendable {
    package var name: String

    package init(name: String) {
        self.name = name
    }
}
