import KVMoveRESP

extension RedisEndpoint {
    /// Opens a connection to this endpoint and one to `other`, runs `body` with both, and closes both,
    /// also when opening the second connection or `body` throws.
    package func withConnections<T>(
        and other: RedisEndpoint,
        database: Int = 0,
        role: ClientRole,
        _ body: (_ mine: RESPConnection, _ theirs: RESPConnection) async throws -> T
    ) async throws -> T {
        let mine = try await connect(role: role, database: database)
        let theirs: RESPConnection
        do {
            theirs = try await other.connect(role: role, database: database)
        } catch {
            await mine.close()
            throw error
        }
        do {
            let result = try await body(mine, theirs)
            await mine.close()
            await theirs.close()
            return result
        } catch {
            await mine.close()
            await theirs.close()
            throw error
        }
    }
}
