/// Names every Redis key the hub uses under one prefix, so several hubs (or test runs) can share a server:
/// `RedisKeyspace(prefix: "bh").key("api:token", "kis")` is `bh:api:token:kis`.
///
/// Every key family a script touches as a whole carries one hash tag (`tag`), so on a Redis Cluster all of
/// its keys live in one slot: the queue `{bh:queue}:…`, the limiter `{bh:rl}:…`, learned budgets
/// `{bh:learned}`, each token with its lock and fence `{bh:api:token:…}…`.
public struct RedisKeyspace: Sendable, Hashable {
    /// The first segment of every key (no trailing colon).
    public let prefix: String

    public init(prefix: String = "bh") {
        var prefix = prefix
        while prefix.hasSuffix(":") { prefix.removeLast() }
        self.prefix = prefix
    }

    /// The prefix and `parts` joined with colons.
    public func key(_ parts: String...) -> String { key(parts) }

    /// The prefix and `parts` joined with colons.
    public func key(_ parts: [String]) -> String {
        ([prefix] + parts).filter { !$0.isEmpty }.joined(separator: ":")
    }

    /// `{prefix:parts}`: a hash tag, and the start of every key of the family it names.
    public func tag(_ parts: String...) -> String { "{" + key(parts) + "}" }

    /// FNV-1a (64-bit) of `text`, 16 hex digits: puts names that contain secrets (app keys) into keys
    /// without revealing them, stably across processes.
    public static func digest(_ text: String) -> String {
        let hash = text.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
