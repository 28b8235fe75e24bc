import KVMoveCore

extension ProviderError {
    /// A data-plane failure (a Redis server's error, a lost connection), as Core's structured error.
    init(redis error: any Error) {
        self.init(source: .redis, code: "RedisError", message: "\(error)")
    }
}
