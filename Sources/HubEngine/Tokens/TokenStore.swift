import BrokerClients
import BrokerCore
import Foundation

/// Where an account's tokens are kept — encrypted by `TokenManager` before they get here. Implementations:
/// `InMemoryTokenStore`, `SQLiteTokenStore` (embedded), and a Redis one in distributed mode.
public protocol TokenStore: Sendable {
    func load(_ key: TokenKey) async throws -> SealedToken?
    func save(_ token: SealedToken, for key: TokenKey) async throws
    /// Removes the token, only if it is still `token` when given (compare-and-delete).
    func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws
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
