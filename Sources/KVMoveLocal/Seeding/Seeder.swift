import KVMoveCore
import KVMoveRESP

/// Writes generated data into an instance, as a ``SeedSpec`` declares it.
///
/// Deterministic: key `i` gets type `types[i % types.count]`, database `i % databases`, and
/// values drawn from a generator seeded with `randomSeed` and `i`, so the same spec always
/// gives the same keys and values. Commands are pipelined in batches, one connection per
/// database. Keys chosen for a TTL (the `ttlPercent` share) expire in 1 to 24 hours.
package struct Seeder: Sendable {
    package var seed: SeedSpec
    /// Keys per pipelined batch.
    package var batchSize: Int

    package init(seed: SeedSpec, batchSize: Int = 500) {
        self.seed = seed
        self.batchSize = max(1, batchSize)
    }

    /// The name of key `index`.
    package func keyName(_ index: Int) -> String {
        "seed:\(type(of: index).rawValue):\(index)"
    }

    /// The type of key `index`.
    package func type(of index: Int) -> SeedType {
        let types = seed.types.isEmpty ? SeedType.allCases : seed.types
        return types[index % types.count]
    }

    /// The database of key `index`.
    package func database(of index: Int) -> Int { index % max(1, seed.databases) }

    /// Writes every key; reports `(keysDone, keysTotal)` after each batch.
    package func run(
        port: Int,
        password: String,
        progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws {
        let total = max(0, seed.keys)
        let databases = max(1, min(16, seed.databases))
        let pool = ValuePool(seed: seed.randomSeed)
        var done = 0
        for db in 0..<databases {
            let indices = Array(stride(from: db, to: total, by: databases))
            done = try await InstanceProbe.withConnection(port: port, password: password, database: db) {
                connection in
                var done = done
                for start in stride(from: 0, to: indices.count, by: batchSize) {
                    let batch = indices[start..<min(indices.count, start + batchSize)]
                    var commands: [RESPCommand] = []
                    commands.reserveCapacity(batch.count * 2)
                    for index in batch { commands += self.commands(for: index, pool: pool) }
                    let replies = try await connection.pipeline(commands)
                    if let failure = replies.first(where: { if case .error = $0 { true } else { false } }) {
                        throw ProviderError.sandbox("SeedFailed", "seeding failed: (redis) \(failure)")
                    }
                    done += batch.count
                    progress(done, total)
                }
                return done
            }
        }
    }

    /// The commands that write key `index`.
    package func commands(for index: Int, pool: ValuePool) -> [RESPCommand] {
        var random = SeedRandom(seed: seed.randomSeed ^ (UInt64(index) &* 0x2545_F491_4F6C_DD1D))
        let key = RESPArgument(keyName(index))
        let size = max(1, seed.valueBytes)
        let elements = max(1, seed.elementsPerKey)
        func value() -> RESPArgument { RESPArgument(pool.slice(size, &random)) }
        func member(_ j: Int) -> RESPArgument {
            RESPArgument(Array("m\(j):".utf8) + pool.slice(max(1, size - 4), &random))
        }
        var commands: [RESPCommand]
        switch type(of: index) {
        case .string:
            commands = [RESPCommand("SET", arguments: [key, value()])]
        case .list:
            commands = [RESPCommand("RPUSH", arguments: [key] + (0..<elements).map { _ in value() })]
        case .hash:
            var arguments = [key]
            for j in 0..<elements { arguments += [RESPArgument("f\(j)"), value()] }
            commands = [RESPCommand("HSET", arguments: arguments)]
        case .set:
            commands = [RESPCommand("SADD", arguments: [key] + (0..<elements).map(member))]
        case .zset:
            var arguments = [key]
            for j in 0..<elements {
                arguments += [RESPArgument(String(Int(random.next() % 1_000_000))), member(j)]
            }
            commands = [RESPCommand("ZADD", arguments: arguments)]
        case .stream:
            commands = (0..<elements).map { j in
                RESPCommand("XADD", arguments: [key, RESPArgument("\(j + 1)-0"), "field", value()])
            }
        }
        if Int(random.next() % 100) < seed.ttlPercent {
            let milliseconds = 3_600_000 + Int(random.next() % 82_800_000)
            commands.append(RESPCommand("PEXPIRE", key, RESPArgument(milliseconds)))
        }
        return commands
    }
}

/// Printable random bytes from which values are cut, so generating them stays cheap.
package struct ValuePool: Sendable {
    private let bytes: [UInt8]

    package init(seed: UInt64, size: Int = 1 << 16) {
        var random = SeedRandom(seed: seed)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        bytes = (0..<size).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
    }

    /// `count` bytes starting at a random offset (repeating the pool for long values).
    package func slice(_ count: Int, _ random: inout SeedRandom) -> [UInt8] {
        let start = Int(random.next() % UInt64(bytes.count))
        if start + count <= bytes.count { return Array(bytes[start..<(start + count)]) }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var offset = start
        while out.count < count {
            let take = min(count - out.count, bytes.count - offset)
            out += bytes[offset..<(offset + take)]
            offset = 0
        }
        return out
    }
}
