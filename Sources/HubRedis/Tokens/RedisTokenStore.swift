import BrokerCore
import Foundation
import HubEngine
import Logging
import RedisClient
import RedisWire

/// Tokens in Redis, shared by every hub process: `{prefix}:api:token:{provider}:{account}:{app key digest}`
/// holds the sealed token (ciphertext from `TokenManager` plus its times) and expires with it (`PX` computed
/// by the server). The issuance lock lives next to it (`{prefix}:lock:…`) with a per-key fencing counter
/// (`{prefix}:fence:…`), so that across processes one caller at a time asks the broker and a holder whose lock
/// expired can never overwrite a later holder's token.
public final class RedisTokenStore: TokenStore {
    private let client: RedisClient
    private let keyspace: RedisKeyspace
    private let logger: Logger

    public init(client: RedisClient, keyspace: RedisKeyspace = RedisKeyspace(), logger: Logger = Logger(label: "brokerhub.tokens.redis")) {
        self.client = client
        self.keyspace = keyspace
        self.logger = logger
    }

    /// `{prefix:api:token:…}`; its lock and fence share its hash tag (the fenced save touches lock and token).
    func tokenKey(_ key: TokenKey) -> String { keyspace.tag(key.storageKey) }
    func lockKey(_ key: TokenKey) -> String { tokenKey(key) + ":lock" }
    func fenceKey(_ key: TokenKey) -> String { tokenKey(key) + ":fence" }

    public func load(_ key: TokenKey) async throws -> SealedToken? {
        let reply = try await call("load") { try await client.send("GET", .string(tokenKey(key))) }
        if reply.isNull { return nil }
        guard let bytes = reply.bytes else { throw Self.unexpected("load", reply) }
        return try RedisTokenCoding.decode(bytes, key: key)
    }

    public func save(_ token: SealedToken, for key: TokenKey) async throws {
        _ = try await call("save") {
            try await client.evalScript(
                RedisTokenScripts.save, keys: [tokenKey(key)],
                arguments: [.bytes(RedisTokenCoding.encode(token)), .string(String(RedisTokenCoding.milliseconds(token.expiresAt)))]
            )
        }
    }

    public func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws {
        _ = try await call("remove") {
            if let token {
                try await client.evalScript(RedisTokenScripts.removeIfMatching, keys: [tokenKey(key)], arguments: [.bytes(Array(token.ciphertext))])
            } else {
                try await client.send("DEL", .string(tokenKey(key)))
            }
        }
    }

    public func acquireIssueLock(_ key: TokenKey, ttl: Duration) async throws -> TokenLock? {
        let nonce = UUID().uuidString.lowercased()
        let reply = try await call("lock") {
            try await client.evalScript(
                RedisTokenScripts.acquire, keys: [lockKey(key), fenceKey(key)], arguments: [.string(nonce), .string(String(Self.milliseconds(ttl)))]
            )
        }
        if reply.isNull { return nil }
        guard let owner = reply.string, let fencing = owner.split(separator: ":").first.flatMap({ UInt64($0) }) else {
            throw Self.unexpected("lock", reply)
        }
        return TokenLock(key: key, fencing: fencing, owner: owner, isProcessLocal: false)
    }

    public func extendIssueLock(_ lock: TokenLock, ttl: Duration) async throws -> Bool {
        let reply = try await call("extend") {
            try await client.evalScript(
                RedisTokenScripts.extend, keys: [lockKey(lock.key)], arguments: [.string(lock.owner), .string(String(Self.milliseconds(ttl)))]
            )
        }
        return reply.int == 1
    }

    public func releaseIssueLock(_ lock: TokenLock) async throws {
        _ = try await call("release") {
            try await client.evalScript(RedisTokenScripts.release, keys: [lockKey(lock.key)], arguments: [.string(lock.owner)])
        }
    }

    public func save(_ token: SealedToken, for key: TokenKey, fencedBy lock: TokenLock) async throws -> Bool {
        let reply = try await call("fenced save") {
            try await client.evalScript(
                RedisTokenScripts.fencedSave, keys: [lockKey(lock.key), tokenKey(key)],
                arguments: [
                    .string(lock.owner), .bytes(RedisTokenCoding.encode(token)), .string(String(RedisTokenCoding.milliseconds(token.expiresAt))),
                ]
            )
        }
        return reply.int == 1
    }

    // MARK: - Helpers

    static func milliseconds(_ duration: Duration) -> Int64 { max(1, Int64((duration.timeInterval * 1000).rounded(.up))) }

    /// Runs one Redis operation; Redis failures become `.unavailable` (the token store is unreachable).
    private func call(_ operation: String, _ body: () async throws -> RESPValue) async throws -> RESPValue {
        do {
            return try await body()
        } catch let error as RedisError {
            logger.warning("redis token store failed", metadata: ["token.operation": "\(operation)", "error.message": "\(error)"])
            throw BrokerHubError(.unavailable, "the Redis token store is unavailable (\(operation))", underlying: error)
        }
    }

    static func unexpected(_ operation: String, _ reply: RESPValue) -> BrokerHubError {
        BrokerHubError(.malformedPayload, "the Redis token store answered \(operation) unexpectedly")
    }
}
