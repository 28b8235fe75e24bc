import KVMoveRESP
import KVMoveSecret
import KVMoveSync
import NIOCore
import Testing

extension RedisServerFixture {
    /// This server as a sync endpoint.
    var endpoint: RedisEndpoint {
        RedisEndpoint(host: "127.0.0.1", port: port, password: password.map(Secret.init), tls: tls)
    }
}

/// Runs `body` with two fresh servers: a source and a target.
func withSourceAndTarget<T>(
    _ body: (_ source: RedisServerFixture, _ target: RedisServerFixture) async throws -> T
) async throws -> T {
    try await RedisServerFixture.with { source in
        try await RedisServerFixture.with { target in
            try await body(source, target)
        }
    }
}

/// Sends commands and fails the test on any error reply.
@discardableResult
func run(_ connection: RESPConnection, _ commands: [RESPCommand]) async throws -> [RESPValue] {
    let replies = try await connection.pipeline(commands)
    for (index, reply) in replies.enumerated() {
        if let error = reply.serverError { Issue.record("command \(index) (\(commands[index].name)) failed: \(error)") }
    }
    return replies
}

/// A binary key that is not valid UTF-8.
let binaryKey: [UInt8] = [0xFF, 0x00, 0x6B, 0x0A]

/// Seeds one database with a key of every type, keys with TTLs and a binary key; returns the key count.
@discardableResult
func seedEveryType(_ connection: RESPConnection, database: Int, prefix: String = "") async throws -> Int {
    try await connection.select(database)
    let p = "\(prefix)db\(database):"
    let commands: [RESPCommand] = [
        RESPCommand("SET", RESPArgument(p + "string"), "hello"),
        RESPCommand("SET", RESPArgument(p + "number"), 42),
        RESPCommand("SET", RESPArgument(p + "empty"), ""),
        RESPCommand("RPUSH", RESPArgument(p + "list"), "a", "b", "c", "a"),
        RESPCommand("HSET", RESPArgument(p + "hash"), "f1", "v1", "f2", "v2"),
        RESPCommand("SADD", RESPArgument(p + "intset"), 1, 2, 3),
        RESPCommand("SADD", RESPArgument(p + "set"), "x", "y", "z"),
        RESPCommand("ZADD", RESPArgument(p + "zset"), "0.1", "a", "-inf", "b", "1e-300", "c", "3", "d"),
        RESPCommand("XADD", RESPArgument(p + "stream"), "1-1", "field", "value"),
        RESPCommand("XADD", RESPArgument(p + "stream"), "2-0", "f", "v", "g", "w"),
        RESPCommand("XGROUP", "CREATE", RESPArgument(p + "stream"), "readers", "1-1"),
        RESPCommand("SET", RESPArgument(p + "volatile"), "soon", "PX", 3_600_000),
        RESPCommand("HSET", RESPArgument(p + "volatile-hash"), "a", "b"),
        RESPCommand("PEXPIRE", RESPArgument(p + "volatile-hash"), 7_200_000),
        RESPCommand("SET", RESPArgument(Array((p).utf8) + binaryKey), RESPArgument([0x00, 0xFF, 0x80, 0x0D, 0x0A])),
    ]
    try await run(connection, commands)
    try await connection.select(0)
    return 12
}

/// Bytes that do not compress, so their `DUMP` payload is as big as they are.
func noise(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}
