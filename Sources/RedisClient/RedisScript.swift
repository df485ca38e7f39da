/// A Lua script run with ``RedisClient/evalScript(_:keys:arguments:)``.
///
/// The client loads it with `SCRIPT LOAD` on first use, caches the SHA per client and reloads it once on `NOSCRIPT`.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    public init(_ source: String) { self.source = source }
}
