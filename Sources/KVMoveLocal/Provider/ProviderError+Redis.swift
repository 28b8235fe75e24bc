import KVMoveCore
import KVMoveSync

extension ProviderError {
    /// A data-plane failure (a Redis server's error, an unreachable address), as Core's structured error.
    ///
    /// The code and retryability come from the data plane (`DataPlaneFailure`), never from the text.
    init(redis error: any Error) {
        if let failure = error as? any DataPlaneFailure {
            self.init(
                source: .redis, code: failure.code, message: failure.message,
                retry: failure.isRetryable ? .backoff : .never, underlying: error)
        } else {
            self.init(source: .redis, code: "RedisError", message: "\(error)", underlying: error)
        }
    }
}
