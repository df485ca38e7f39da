import BrokerCore
import Foundation
import HubEngine
import HubRedis
import Logging
import RedisClient
import Synchronization
import Testing

/// The limiter implementations the behavioural suite runs against.
enum LimiterKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case local
    case redis
    case redisCluster

    var description: String { rawValue }

    /// The kinds that can run here: Redis only with BROKERHUB_TEST_REDIS_URL, the cluster only with
    /// BROKERHUB_TEST_REDIS_CLUSTER_URL (both always set in CI).
    static var available: [LimiterKind] {
        [.local] + (RedisTestEnvironment.url == nil ? [] : [.redis]) + (RedisTestEnvironment.clusterURL == nil ? [] : [.redisCluster])
    }
}

/// Limiters of one kind sharing one budget space: for Redis a unique key prefix, each limiter with a client
/// of its own (each stands for a hub process); the local kind has one process, hence one limiter.
final class LimiterHarness: Sendable {
    let kind: LimiterKind
    private let keyspace = RedisKeyspace(prefix: RedisTestEnvironment.uniquePrefix("limiter"))
    private let local: LocalRateLimiter
    private let clients = Mutex<[RedisClient]>([])
    private let jitterAllowance: Duration
    private let smoothing: Double

    init(_ kind: LimiterKind, jitterAllowance: Duration = .milliseconds(40), smoothing: Double = 1.0) {
        self.kind = kind
        self.jitterAllowance = jitterAllowance
        self.smoothing = smoothing
        local = LocalRateLimiter(jitterAllowance: jitterAllowance, smoothing: smoothing)
    }

    /// A limiter over the shared budgets (Redis: a new "process").
    func limiter() throws -> any RateLimiter {
        switch kind {
        case .local:
            return local
        case .redis, .redisCluster:
            let client = try RedisTestEnvironment.client(cluster: kind == .redisCluster)
            clients.withLock { $0.append(client) }
            return RedisRateLimiter(client: client, keyspace: keyspace, jitterAllowance: jitterAllowance, smoothing: smoothing)
        }
    }

    /// Deletes the test's keys and shuts the clients down.
    func tearDown() async {
        let clients = clients.withLock { $0 }
        if let client = clients.first { await RedisTestEnvironment.removeKeys(under: keyspace.prefix, using: client) }
        for client in clients { await client.shutdown() }
    }
}

/// The behaviour every `RateLimiter` must show, in real time with short windows. Grant instants are taken on
/// return from `acquire`; the jitter allowance (40 ms) covers the scheduling noise between the limiter's
/// instant and that one, so every window of the bare budget must hold.
@Suite("RateLimiter behaviour", .timeLimit(.minutes(5)), .serialized)
struct RateLimiterBehaviourTests {
    static let budget = RateBudget(name: "kis:PSbehaviour-app-key:s", limit: 10, window: .milliseconds(200))

    @Test("40 concurrent acquirers of 10/200 ms never put 11 sends in any 200 ms window", arguments: LimiterKind.available)
    func concurrentAcquirersKeepTheWindow(kind: LimiterKind) async throws {
        let harness = LimiterHarness(kind, smoothing: 0.5)
        let limiter = try harness.limiter()
        let instants = try await Self.grants(40, from: [limiter]) { _ in [Self.budget] }
        await harness.tearDown()
        #expect(instants.count == 40)
        #expect(Self.maximumInAnyWindow(instants, window: 0.2) <= 10)
        // The budget bound: 40 sends at 10 per 240 ms need at least three further windows.
        #expect(instants.last!.timeIntervalSince(instants.first!) >= 3 * 0.2)
    }

    @Test("two limiters on the same budgets (two processes) share them", arguments: LimiterKind.available.filter { $0 != .local })
    func twoProcessesShareOneBudget(kind: LimiterKind) async throws {
        let harness = LimiterHarness(kind, smoothing: 0.5)
        let limiters = [try harness.limiter(), try harness.limiter()]
        let instants = try await Self.grants(40, from: limiters) { _ in [Self.budget] }
        await harness.tearDown()
        #expect(instants.count == 40)
        #expect(Self.maximumInAnyWindow(instants, window: 0.2) <= 10, "two processes together stay within one budget")
    }

    @Test("layered budgets: 10/200 ms and 15/1 s both hold", arguments: LimiterKind.available)
    func layeredBudgets(kind: LimiterKind) async throws {
        let harness = LimiterHarness(kind, smoothing: 0)
        let limiter = try harness.limiter()
        let budgets = [Self.budget, RateBudget(name: "kis:PSbehaviour-app-key:m", limit: 15, window: .seconds(1))]
        let instants = try await Self.grants(20, from: [limiter]) { _ in budgets }
        await harness.tearDown()
        #expect(Self.maximumInAnyWindow(instants, window: 0.2) <= 10)
        #expect(Self.maximumInAnyWindow(instants, window: 1.0) <= 15)
        #expect(instants[15].timeIntervalSince(instants[0]) >= 1.0, "the 16th send waits for the longer window")
    }

    @Test("a deadline before the next slot throws .deadlineExceeded and consumes nothing", arguments: LimiterKind.available)
    func deadlineConsumesNothing(kind: LimiterKind) async throws {
        let harness = LimiterHarness(kind, jitterAllowance: .zero, smoothing: 0)
        let limiter = try harness.limiter()
        let budget = RateBudget(name: "deadline", limit: 1, window: .milliseconds(400))
        try await limiter.acquire([budget], deadline: nil)
        let start = Date()
        for _ in 0..<3 {
            let error = await #expect(throws: BrokerHubError.self) {
                try await limiter.acquire([budget], deadline: Date().addingTimeInterval(0.05))
            }
            #expect(error?.code == .deadlineExceeded)
        }
        // Had a refused caller kept its slot, the next free one would be 400 ms further on.
        try await limiter.acquire([budget], deadline: Date().addingTimeInterval(0.6))
        #expect(Date().timeIntervalSince(start) < 0.6)
        await harness.tearDown()
    }

    @Test("a waiter cancelled while sleeping gives its reservation back", arguments: LimiterKind.available)
    func cancellationReleases(kind: LimiterKind) async throws {
        let harness = LimiterHarness(kind, jitterAllowance: .zero, smoothing: 0)
        let limiter = try harness.limiter()
        let budget = RateBudget(name: "cancel", limit: 1, window: .milliseconds(400))
        try await limiter.acquire([budget], deadline: nil)
        let start = Date()
        let cancelled = Task { try await limiter.acquire([budget], deadline: nil) }
        try await Task.sleep(for: .milliseconds(100)) // it has reserved +400 ms and sleeps
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        // The freed +400 ms slot is taken, not the +800 ms one behind the cancelled reservation.
        try await limiter.acquire([budget], deadline: Date().addingTimeInterval(0.5))
        #expect(Date().timeIntervalSince(start) < 0.6)
        await harness.tearDown()
    }

    @Test("a budget with no sends is a configuration error", arguments: LimiterKind.available)
    func zeroBudget(kind: LimiterKind) async throws {
        let harness = LimiterHarness(kind)
        let limiter = try harness.limiter()
        let error = await #expect(throws: BrokerHubError.self) {
            try await limiter.acquire([RateBudget(name: "zero", limit: 0, window: .seconds(1))], deadline: nil)
        }
        #expect(error?.code == .invalidConfiguration)
        await harness.tearDown()
    }

    // MARK: - Helpers

    /// Runs `count` concurrent acquisitions spread over `limiters`; the sorted instants they were granted.
    static func grants(
        _ count: Int, from limiters: [any RateLimiter], budgets: @escaping @Sendable (Int) -> [RateBudget]
    ) async throws -> [Date] {
        try await withThrowingTaskGroup(of: Date.self) { group in
            for index in 0..<count {
                let limiter = limiters[index % limiters.count]
                group.addTask {
                    try await limiter.acquire(budgets(index), deadline: nil)
                    return Date()
                }
            }
            return try await group.reduce(into: [Date]()) { $0.append($1) }.sorted()
        }
    }

    /// The most instants in any half-open window `[t, t + window)` (sorted input).
    static func maximumInAnyWindow(_ sorted: [Date], window: TimeInterval) -> Int {
        var best = 0
        var low = 0
        for high in sorted.indices {
            while sorted[high].timeIntervalSince(sorted[low]) >= window { low += 1 }
            best = max(best, high - low + 1)
        }
        return best
    }
}

/// Redis-only limiter behaviour.
@Suite("RateLimiter (Redis)", .timeLimit(.minutes(5)), .serialized)
struct RedisRateLimiterTests {
    // Skipped without BROKERHUB_TEST_REDIS_URL (CI always sets it).
    @Test(
        "budget names (which hold app keys) appear in Redis only as digests; idle budgets expire",
        .enabled(if: RedisTestEnvironment.url != nil, "needs BROKERHUB_TEST_REDIS_URL")
    )
    func keysAreDigestsAndExpire() async throws {
        let client = try RedisTestEnvironment.client()
        let keyspace = RedisKeyspace(prefix: RedisTestEnvironment.uniquePrefix("limiter-keys"))
        let limiter = RedisRateLimiter(client: client, keyspace: keyspace)
        let budget = RateBudget(name: "kis:PSsecret-app-key-123:s", limit: 5, window: .milliseconds(100))
        try await limiter.acquire([budget], deadline: nil)
        let keys = try await RedisTestEnvironment.keys(under: keyspace.prefix, using: client)
        #expect(keys == [limiter.key(for: budget)])
        #expect(!keys.contains { $0.contains("secret") })
        let ttl = try #require(try await client.send("PTTL", .string(limiter.key(for: budget))).int)
        #expect(ttl > 0 && ttl <= 1_300, "about two spans plus a second, got \(ttl) ms")
        _ = try await client.send("DEL", .string(limiter.key(for: budget)))
        await client.shutdown()
    }

    /// Needs no server.
    @Test("an unreachable Redis fails the acquisition at once with .unavailable")
    func unreachable() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:1/0"), logger: Logger(label: "test"))
        let limiter = RedisRateLimiter(client: client, keyspace: RedisKeyspace(prefix: "bhtest:unreachable"))
        let error = await #expect(throws: BrokerHubError.self) {
            try await limiter.acquire([RateBudget(name: "u", limit: 5, window: .seconds(1))], deadline: nil)
        }
        #expect(error?.code == .unavailable)
        await client.shutdown()
    }
}
