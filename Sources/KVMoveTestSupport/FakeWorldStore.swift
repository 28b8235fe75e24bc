import Foundation

/// Where a ``FakeWorld`` lives: in memory, or in a JSON file written atomically.
package actor FakeWorldStore {
    private var memory: FakeWorld
    private let file: URL?

    /// A world held in memory.
    package init(_ world: FakeWorld) {
        self.memory = world
        self.file = nil
    }

    /// A world in a JSON file, read before and written after every change.
    package init(file: URL) throws {
        self.file = file
        self.memory = try FakeWorldStore.read(file)
    }

    /// The current world.
    package func world() throws -> FakeWorld {
        if let file { memory = try FakeWorldStore.read(file) }
        return memory
    }

    /// Changes the world and persists it; returns what `change` returns.
    package func change<T: Sendable>(_ change: @Sendable (inout FakeWorld) throws -> T) throws -> T {
        var world = try self.world()
        let result = try change(&world)
        memory = world
        if let file { try FakeWorldStore.write(world, to: file) }
        return result
    }

    package static func read(_ file: URL) throws -> FakeWorld {
        try JSONDecoder().decode(FakeWorld.self, from: Data(contentsOf: file))
    }

    /// Writes atomically: a temporary file, then rename.
    package static func write(_ world: FakeWorld, to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(world).write(to: file, options: .atomic)
    }
}
