import KVMoveRESP

extension RedisEndpoint {
    /// Opens a connection to this endpoint and one to `other`, runs `body` with both, and closes both,
    /// also when opening the second connection or `body` throws.
    package func withConnections<T>(
        and other: RedisEndpoint,
        database: Int = 0,
        clientName: String,
        _ body: (_ mine: RESPConnection, _ theirs: RESPConnection) async throws -> T
    ) async throws -> T {
        let mine = try await connect(database: database, clientName: clientName)
        let theirs: RESPConnection
        do {
            theirs = try await other.connect(database: database, clientName: clientName)
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
