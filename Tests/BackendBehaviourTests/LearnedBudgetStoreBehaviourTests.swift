import Foundation
import HubEngine
import HubRedis
import RedisClient
import Synchronization
import Testing

/// The learned-budget store implementations the behavioural suite runs against.
enum LearnedBudgetStoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case inMemory
    case redis
    case redisCluster

    var description: String { rawValue }

    /// Redis only with BROKERHUB_TEST_REDIS_URL, the cluster only with BROKERHUB_TEST_REDIS_CLUSTER_URL
    /// (both always set in CI).
    static var available: [LearnedBudgetStoreKind] {
        [.inMemory] + (RedisTestEnvironment.url == nil ? [] : [.redis]) + (RedisTestEnvironment.clusterURL == nil ? [] : [.redisCluster])
    }
}

/// Stores of one kind over one shared space (Redis: a unique prefix, each store with a client of its own, as
/// if each were a hub process).
final class LearnedBudgetStoreHarness: Sendable {
    let kind: LearnedBudgetStoreKind
    let keyspace = RedisKeyspace(prefix: RedisTestEnvironment.uniquePrefix("learned"))
    private let memory = InMemoryLearnedBudgetStore()
    private let clients = Mutex<[RedisClient]>([])

    init(_ kind: LearnedBudgetStoreKind) { self.kind = kind }

    func store() throws -> any LearnedBudgetStore {
        switch kind {
        case .inMemory: return memory
        case .redis, .redisCluster:
            let client = try RedisTestEnvironment.client(cluster: kind == .redisCluster)
            clients.withLock { $0.append(client) }
            return RedisLearnedBudgetStore(client: client, keyspace: keyspace)
        }
    }

    func tearDown() async {
        let clients = clients.withLock { $0 }
        if let client = clients.first { _ = try? await client.send("DEL", .string(keyspace.tag("learned"))) }
        for client in clients { await client.shutdown() }
    }
}

/// The behaviour every `LearnedBudgetStore` must show.
@Suite("LearnedBudgetStore behaviour", .timeLimit(.minutes(2)), .serialized)
struct LearnedBudgetStoreBehaviourTests {
    static let at = Date(timeIntervalSince1970: 1_790_000_000.25)

    static func lowered(_ limit: Int, configured: Int = 18) -> LearnedBudget {
        LearnedBudget(configured: configured, state: .lowered(limit: limit, changedAt: at, refusedLimit: limit + 1, refusedAt: at))
    }

    @Test("update stores, all returns, nil removes; values round-trip exactly", arguments: LearnedBudgetStoreKind.available)
    func updateAndRead(kind: LearnedBudgetStoreKind) async throws {
        let harness = LearnedBudgetStoreHarness(kind)
        let store = try harness.store()
        #expect(try await store.all().isEmpty)
        let seen = Mutex<[LearnedBudget?]>([])
        let stored = try await store.update("kis:0000abcd:s") { current in
            seen.withLock { $0.append(current) }
            return Self.lowered(16)
        }
        #expect(stored == Self.lowered(16))
        #expect(seen.withLock { $0.allSatisfy { $0 == nil } })
        try await store.update("kiwoom:1234abcd:ka10001:s") { _ in Self.lowered(1, configured: 2) }
        // Another "process" sees both.
        let other = try harness.store()
        #expect(try await other.all() == ["kis:0000abcd:s": Self.lowered(16), "kiwoom:1234abcd:ka10001:s": Self.lowered(1, configured: 2)])
        try await other.update("kis:0000abcd:s") { current in
            seen.withLock { $0 = [current] }
            return nil
        }
        #expect(seen.withLock { $0 } == [Self.lowered(16)])
        #expect(try await store.all().keys.sorted() == ["kiwoom:1234abcd:ka10001:s"])
        await harness.tearDown()
    }

    @Test("concurrent updates from several processes are never lost", arguments: LearnedBudgetStoreKind.available)
    func concurrentUpdates(kind: LearnedBudgetStoreKind) async throws {
        let harness = LearnedBudgetStoreHarness(kind)
        let stores = try (0..<4).map { _ in try harness.store() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<12 {
                let store = stores[index % stores.count]
                group.addTask {
                    try await store.update("kis:0000abcd:s") { current in
                        // Count updates in the configured limit: every one must land once.
                        LearnedBudget(configured: (current?.configured ?? 0) + 1, state: .configured)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await stores[0].all()["kis:0000abcd:s"]?.configured == 12)
        await harness.tearDown()
    }
}
