import Foundation
import Logging
import Realtime
import RedisClient
import Synchronization

/// The bus implementations the behavioural suite runs against.
enum BusKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case journal
    case redis
    case redisCluster

    var description: String { rawValue }

    /// The kinds that can run here: Redis only with BROKERHUB_TEST_REDIS_URL, the cluster only with
    /// BROKERHUB_TEST_REDIS_CLUSTER_URL (both always set in CI; without them the Redis cases are left out and
    /// `BusRedisAvailabilityTests` says so).
    static var available: [BusKind] {
        [.journal] + (PipelineTestEnvironment.redisURL == nil ? [] : [.redis])
            + (PipelineTestEnvironment.redisClusterURL == nil ? [] : [.redisCluster])
    }

    /// The server URL of a Redis kind.
    var redisURL: String? {
        switch self {
        case .journal: nil
        case .redis: PipelineTestEnvironment.redisURL
        case .redisCluster: PipelineTestEnvironment.redisClusterURL
        }
    }
}

/// One bus of one kind for one test, reopenable like a restarted process: the journal on a fresh temporary
/// path, Redis under a unique key and live-channel prefix. Every `open()` is a new instance (journal: a new
/// `JournalEventBus` on the same path; Redis: a new client).
final class BusHarness: Sendable {
    let kind: BusKind
    let redeliverAfter: Duration
    let retention: Duration
    let groups: [String]
    private let directory: URL
    private let prefix = PipelineTestEnvironment.uniqueName("bhtest:bus")
    private let opened = Mutex<[(any EventBus, RedisClient?)]>([])

    init(_ kind: BusKind, redeliverAfter: Duration = .seconds(30), retention: Duration = .zero, groups: [String] = []) throws {
        self.kind = kind
        self.redeliverAfter = redeliverAfter
        self.retention = retention
        self.groups = groups
        directory = try PipelineTestEnvironment.temporaryDirectory("bus")
    }

    static var logger: Logger {
        var logger = Logger(label: "brokerhub.test.bus")
        logger.logLevel = .warning
        return logger
    }

    var journalPath: String { directory.appendingPathComponent("journal.sqlite").path }

    /// A new bus instance over the test's storage.
    func open() throws -> any EventBus {
        switch kind {
        case .journal:
            var configuration = JournalEventBusConfiguration(path: journalPath)
            configuration.redeliverAfter = redeliverAfter
            configuration.retention = retention
            configuration.groups = groups
            let bus = try JournalEventBus(configuration: configuration, logger: Self.logger)
            opened.withLock { $0.append((bus, nil)) }
            return bus
        case .redis, .redisCluster:
            guard let url = kind.redisURL else { throw HarnessError.noRedis }
            let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: Self.logger)
            var configuration = RedisEventBusConfiguration(keyPrefix: prefix)
            configuration.livePrefix = prefix + ":"
            configuration.redeliverAfter = redeliverAfter
            configuration.retention = retention
            configuration.groups = groups
            let bus = RedisEventBus(client: client, configuration: configuration, logger: Self.logger)
            opened.withLock { $0.append((bus, client)) }
            return bus
        }
    }

    /// Closes one instance (a process going away).
    func close(_ bus: any EventBus) async {
        if let journal = bus as? JournalEventBus { try? journal.close() }
        if let redis = bus as? RedisEventBus { await redis.client.shutdown() }
    }

    /// Closes every instance and deletes the test's keys and files.
    func tearDown() async {
        let opened = opened.withLock { $0 }
        if let url = kind.redisURL, let configuration = try? RedisConfiguration(url: url) {
            let client = RedisClient(configuration: configuration, logger: Self.logger)
            let keys = ((try? await client.keys(matching: prefix + ":*")) ?? []) + ((try? await client.keys(matching: "{" + prefix + "}*")) ?? [])
            _ = try? await client.delete(keys)
            await client.shutdown()
        }
        for (bus, _) in opened { await close(bus) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Retention on the concrete bus (it is not part of the `EventBus` contract).
    func compact(_ bus: any EventBus) async throws -> Int {
        if let journal = bus as? JournalEventBus { return try await journal.compact() }
        if let redis = bus as? RedisEventBus { return try await redis.compact() }
        return 0
    }

    enum HarnessError: Error { case noRedis }
}

/// A value shared between test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

extension EventBus {
    /// Reads until `count` deliveries came or `timeout` passed (each read waits up to 200 ms).
    func readAll(group: String, consumer: String, count: Int, maximum: Int = 500, timeout: Duration = .seconds(20)) async throws -> [BusDelivery] {
        var deliveries: [BusDelivery] = []
        let deadline = ContinuousClock.now + timeout
        while deliveries.count < count, ContinuousClock.now < deadline {
            deliveries += try await read(group: group, consumer: consumer, maximum: min(maximum, count - deliveries.count), wait: .milliseconds(200))
        }
        return deliveries
    }

    /// Reads and acknowledges everything until a read comes back empty.
    func drain(group: String, consumer: String) async throws -> [BusDelivery] {
        var all: [BusDelivery] = []
        while true {
            let batch = try await read(group: group, consumer: consumer, maximum: 500, wait: .milliseconds(100))
            if batch.isEmpty { return all }
            try await acknowledge(batch, group: group)
            all += batch
        }
    }
}
