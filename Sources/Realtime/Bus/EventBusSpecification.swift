import BrokerCore
import Logging
import RedisClient
import ServiceLifecycle

/// A `--bus` argument: `journal:PATH` (the embedded SQLite journal) or `redis://host:port/db[?prefix=KEYS]`
/// (Redis Streams, keys under `brokerhub:bus` unless `prefix` says otherwise; `redis+cluster://h:p,h:p[?prefix=…]`
/// for a Redis Cluster). The twin of the archiver's
/// `ArchiveSinkSpecification`.
public enum EventBusSpecification {
    /// An opened bus and the services it needs running alongside (compaction, the Redis connection).
    public struct Opened: Sendable {
        public var bus: any EventBus
        public var services: [any Service]
    }

    /// Opens the bus `specification` names, knowing consumer `groups` from the start (retention keeps events
    /// for them before their first read). Throws `request.invalid_argument` for a specification it cannot read.
    public static func open(
        _ specification: String, groups: [String] = ["archiver"], clock: any HubClock = SystemClock(),
        logger: Logger = Logger(label: "brokerhub.bus")
    ) throws -> Opened {
        if specification.hasPrefix("journal:") {
            let path = String(specification.dropFirst("journal:".count))
            guard !path.isEmpty else { throw BrokerHubError(.invalidArgument, "journal: needs a path (journal:/var/lib/brokerhub/bus.sqlite)") }
            var configuration = JournalEventBusConfiguration(path: path)
            configuration.groups = groups
            configuration.clock = clock
            let bus = try JournalEventBus(configuration: configuration, logger: logger)
            return Opened(bus: bus, services: [bus])
        }
        if RedisConfiguration.hasRedisScheme(specification) {
            var url = specification
            var configuration = RedisEventBusConfiguration()
            if let query = url.firstIndex(of: "?") {
                for item in url[url.index(after: query)...].split(separator: "&") {
                    let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, parts[0] == "prefix", !parts[1].isEmpty else {
                        throw BrokerHubError(.invalidArgument, "redis://…?prefix=NAME is the only option, got \(item)")
                    }
                    configuration.keyPrefix = parts[1]
                }
                url = String(url[..<query])
            }
            configuration.groups = groups
            let redis: RedisConfiguration
            do {
                redis = try RedisConfiguration(url: url)
            } catch {
                throw BrokerHubError(.invalidArgument, "\(error)")
            }
            let client = RedisClient(configuration: redis, logger: logger)
            let bus = RedisEventBus(client: client, configuration: configuration, logger: logger)
            return Opened(bus: bus, services: [client, bus])
        }
        throw BrokerHubError(.invalidArgument, "the bus must be journal:PATH, redis://host:port/db or redis+cluster://host:port,host:port")
    }
}
