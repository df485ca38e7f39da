import Synchronization

/// Tokens in process memory (tests, ephemeral runs).
public final class InMemoryTokenStore: TokenStore {
    private let tokens = Mutex<[String: SealedToken]>([:])

    public init() {}

    public func load(_ key: TokenKey) async throws -> SealedToken? {
        tokens.withLock { $0[key.storageKey] }
    }

    public func save(_ token: SealedToken, for key: TokenKey) async throws {
        tokens.withLock { $0[key.storageKey] = token }
    }

    public func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws {
        tokens.withLock { tokens in
            if token == nil || tokens[key.storageKey] == token { tokens[key.storageKey] = nil }
        }
    }
}
