import BrokerClients
import BrokerCore
import Foundation

/// Where an account's tokens are kept — encrypted by `TokenManager` before they get here. Implementations:
/// `InMemoryTokenStore`, `SQLiteTokenStore` (embedded, with the
/// process-local issuance lock of the extension below), and `RedisTokenStore` (distributed mode).
public protocol TokenStore: Sendable {
    func load(_ key: TokenKey) async throws -> SealedToken?
    func save(_ token: SealedToken, for key: TokenKey) async throws
    /// Removes the token, only if it is still `token` when given (compare-and-delete).
    func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws

    /// Takes the lock that lets one process at a time ask the broker for `key`'s token, for `ttl`; nil when
    /// another holder has it. Embedded stores grant a process-local lock at once (`TokenManager` already
    /// issues single-flight within a process).
    func acquireIssueLock(_ key: TokenKey, ttl: Duration) async throws -> TokenLock?
    /// Extends a held lock to `ttl` from now; false when it has expired or another holder took it.
    func extendIssueLock(_ lock: TokenLock, ttl: Duration) async throws -> Bool
    /// Releases the lock if this holder still has it.
    func releaseIssueLock(_ lock: TokenLock) async throws
    /// Saves `token` only while `lock` is still held (fenced write); false, and nothing written, otherwise.
    func save(_ token: SealedToken, for key: TokenKey, fencedBy lock: TokenLock) async throws -> Bool
}

/// A held issuance lock. `fencing` grows with every grant for a key across all processes, so a holder whose
/// lock expired can never overwrite the token of a later one.
public struct TokenLock: Sendable, Hashable, CustomStringConvertible {
    public var key: TokenKey
    /// Monotonic per key (0 for process-local locks).
    public var fencing: UInt64
    /// The value that identifies this holder where the lock is kept.
    public var owner: String
    /// A lock that only excludes callers in this process (embedded stores).
    public var isProcessLocal: Bool

    public init(key: TokenKey, fencing: UInt64, owner: String, isProcessLocal: Bool) {
        self.key = key
        self.fencing = fencing
        self.owner = owner
        self.isProcessLocal = isProcessLocal
    }

    /// A lock for stores used by one process only.
    public static func processLocal(_ key: TokenKey) -> TokenLock {
        TokenLock(key: key, fencing: 0, owner: "local", isProcessLocal: true)
    }

    public var description: String { "\(key)#\(fencing)" }
}

/// Embedded stores serve one process: the lock is always granted, the fenced save is a plain save.
extension TokenStore {
    public func acquireIssueLock(_ key: TokenKey, ttl: Duration) async throws -> TokenLock? { .processLocal(key) }
    public func extendIssueLock(_ lock: TokenLock, ttl: Duration) async throws -> Bool { true }
    public func releaseIssueLock(_ lock: TokenLock) async throws {}
    public func save(_ token: SealedToken, for key: TokenKey, fencedBy lock: TokenLock) async throws -> Bool {
        try await save(token, for: key)
        return true
    }
}

/// Identifies one token: provider, account and kind, shaped like the original design's
/// `api:token:{provider}:{account}` keys (app key included so two keys never share).
public struct TokenKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var provider: Provider
    public var appKey: String
    public var account: String
    public var kind: TokenKind

    public init(provider: Provider, appKey: String, account: String, kind: TokenKind) {
        self.provider = provider
        self.appKey = appKey
        self.account = account
        self.kind = kind
    }

    public init(_ account: BrokerAccount, kind: TokenKind) {
        self.init(provider: account.provider, appKey: account.appKey, account: account.account, kind: kind)
    }

    /// The storage key, e.g. `api:token:kis:50000000-01:9f2c41d7` — the app key only as a hash.
    public var storageKey: String {
        "api:\(kind == .access ? "token" : "approval"):\(provider.rawValue):\(account):\(appKeyDigest)"
    }

    /// FNV-1a of the app key, 8 hex digits: stable across processes, reveals nothing of the key.
    public var appKeyDigest: String {
        let hash = appKey.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        let text = String(hash & 0xFFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }

    public var description: String { storageKey }
}

/// A token as stored: the value encrypted (AES-GCM combined box), the times in clear for expiry checks.
public struct SealedToken: Sendable, Hashable, Codable {
    public var ciphertext: Data
    public var issuedAt: Date
    public var expiresAt: Date

    public init(ciphertext: Data, issuedAt: Date, expiresAt: Date) {
        self.ciphertext = ciphertext
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}
