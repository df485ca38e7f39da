import BrokerCore
import Foundation
import Logging
import Metrics
import RedisClient
import RedisWire
import ServiceLifecycle
import Synchronization

/// The distributed durable bus: Redis Streams with consumer groups, one stream per channel
/// (`{prefix}:stream:ticker|orderbook|system`, the prefix in braces: one hash tag for every key of the bus,
/// as its publish script touches them all — on a Redis Cluster they share one slot).
///
/// `publish` runs one Lua script per call that `XADD`s every event (fields `id` and `e`, the codec bytes),
/// adds them to the published counts (`HINCRBY {prefix}:published provider|channel|symbol`) and `PUBLISH`es
/// each to its live channel (`ticker.{symbol}`, `orderbook.{symbol}`, `system.{kind}`), atomically, so counts
/// and streams always agree. Reads use `XREADGROUP` (`BLOCK` for the wait), idle deliveries are taken over
/// with `XAUTOCLAIM`, and a consumer name's own pending entries are read back first (`XREADGROUP … 0`) by a
/// new instance. Durability is Redis's (AOF, see config/redis.conf). As a `Service`, it compacts
/// (`XTRIM MINID`, never past any group's oldest pending entry) every `compactionInterval`.
public final class RedisEventBus: EventBus, Service {
    public let configuration: RedisEventBusConfiguration
    /// The client the bus talks through (not owned).
    public let client: RedisClient
    let logger: Logger
    let state = Mutex(RedisBusState())
    let metrics = RedisBusMetrics()

    /// The bus over `client` (not owned: the caller runs and shuts it down).
    public init(client: RedisClient, configuration: RedisEventBusConfiguration = RedisEventBusConfiguration(), logger: Logger = Logger(label: "brokerhub.bus.redis")) {
        self.client = client
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "bus.prefix"] = "\(configuration.keyPrefix)"
        self.logger = logger
    }

    /// The stream of `channel`.
    public func streamKey(_ channel: RealtimeChannel) -> String { "\(tag):stream:\(channel.rawValue)" }

    /// `{keyPrefix}`: the hash tag that starts every key of the bus.
    var tag: String { "{\(configuration.keyPrefix)}" }

    /// The hash of published counts.
    public var countsKey: String { "\(tag):published" }

    /// Seconds a publish's batch marker lives: longer than any retry of the same batch (the collector retries
    /// with backoff up to 5 s), short enough that markers stay few (≈ batches per second × this).
    static let batchMarkerTTL = 900

    static let channels = RealtimeChannel.allCases

    public func publish(_ events: [RealtimeEvent]) async throws {
        guard !events.isEmpty else { return }
        try await ensureGroups(configuration.groups)
        var counts: [LedgerKey: Int64] = [:]
        var arguments: [RESPArgument] = []
        arguments.reserveCapacity(3 + events.count * 4)
        arguments += [.int(events.count), .int(0), .string(configuration.livePrefix)]
        for event in events {
            counts[event.ledgerKey, default: 0] += 1
            arguments.append(.int(Self.channels.firstIndex(of: event.channel)! + 2))
            arguments.append(.string(event.id))
            arguments.append(.bytes(RealtimeEventCodec.encode(event)))
            arguments.append(.string(event.liveTopic))
        }
        arguments[1] = .int(counts.count)
        for (key, count) in counts {
            arguments.append(.string(Self.countField(key)))
            arguments.append(.int(count))
        }
        // The batch's marker makes a retried publish a no-op: when the reply to an applied publish is lost (the
        // connection dropped after Redis ran the script), the collector sends the same batch again, and
        // without it the ledger's counts would count it twice (a false "missing" for events that are stored).
        let marker = "\(tag):batch:\(events[0].id):\(events[events.count - 1].id):\(events.count)"
        let keys = [countsKey] + Self.channels.map(streamKey) + [marker]
        _ = try await client.evalScript(Self.publishScript, keys: keys, arguments: arguments)
        metrics.published.increment(by: events.count)
    }

    public func publishedCounts() async throws -> [LedgerKey: Int64] {
        let reply = try await client.send("HGETALL", .string(countsKey))
        var counts: [LedgerKey: Int64] = [:]
        for pair in reply.pairs ?? [] {
            guard let field = pair.key.string, let count = pair.value.int, let key = Self.ledgerKey(field: field) else { continue }
            counts[key] = count
        }
        return counts
    }

    /// `provider|channel|symbol` (provider and channel never contain `|`; the symbol is the rest).
    static func countField(_ key: LedgerKey) -> String { "\(key.provider)|\(key.channel.rawValue)|\(key.symbol)" }

    static func ledgerKey(field: String) -> LedgerKey? {
        let parts = field.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let channel = RealtimeChannel(rawValue: String(parts[1])) else { return nil }
        return LedgerKey(provider: String(parts[0]), channel: channel, symbol: String(parts[2]))
    }

    /// KEYS: counts hash, then the streams, then the batch marker (kept `batchMarkerTTL`; a batch already
    /// applied returns 0 and changes nothing). ARGV: event count n, count-field count m, live prefix; n ×
    /// (stream key index, event id, body, live topic); m × (count field, increment).
    static let publishScript = RedisScript("""
        if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'EX', \(batchMarkerTTL)) then return 0 end
        local n = tonumber(ARGV[1])
        local m = tonumber(ARGV[2])
        local live = ARGV[3]
        local i = 4
        for _ = 1, n do
            redis.call('XADD', KEYS[tonumber(ARGV[i])], '*', 'id', ARGV[i + 1], 'e', ARGV[i + 2])
            redis.call('PUBLISH', live .. ARGV[i + 3], ARGV[i + 2])
            i = i + 4
        end
        for _ = 1, m do
            redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
            i = i + 2
        end
        return n
        """)

    /// Creates `groups` on every stream (at the oldest entry, `MKSTREAM`) once per instance.
    func ensureGroups(_ groups: [String]) async throws {
        let missing = state.withLock { state in groups.filter { !state.createdGroups.contains($0) } }
        for group in missing {
            for channel in Self.channels {
                try await client.xgroupCreate(streamKey(channel), group: group, id: "0", mkstream: true)
            }
            _ = state.withLock { $0.createdGroups.insert(group) }
        }
    }
}

/// What one `RedisEventBus` instance remembers between calls.
struct RedisBusState {
    /// Groups this instance has created (or found) on every stream.
    var createdGroups: Set<String> = []
    /// Per `group\0consumer`: streams whose own pending history (from an earlier instance) is not yet read
    /// back, with the cursor reached.
    var history: [String: [String: String]] = [:]
    /// Per `group\0consumer`: entries read beyond `maximum` (already in that consumer's pending list),
    /// handed out first on its next read.
    var carry: [String: [RedisStreamEntry]] = [:]
    /// Per group: when idle deliveries were last claimed.
    var lastClaim: [String: ContinuousClock.Instant] = [:]
}

/// The Redis bus's swift-metrics instruments.
struct RedisBusMetrics: Sendable {
    let published = Counter(label: "brokerhub_bus_published_total", dimensions: [("bus", "redis")])
    let delivered = Counter(label: "brokerhub_bus_delivered_total", dimensions: [("bus", "redis")])
    let redelivered = Counter(label: "brokerhub_bus_redelivered_total", dimensions: [("bus", "redis")])
    let acknowledged = Counter(label: "brokerhub_bus_acknowledged_total", dimensions: [("bus", "redis")])
    let compacted = Counter(label: "brokerhub_bus_compacted_total", dimensions: [("bus", "redis")])
}
