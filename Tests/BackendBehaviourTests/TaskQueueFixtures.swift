import BrokerClients
import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import HubRedis
import RedisClient
import Synchronization

/// The queue implementations the behavioural suite runs against. `.redis` is listed only when
/// `BROKERHUB_TEST_REDIS_URL` is set (without it `RedisTaskQueueTests` shows as skipped), `.redisCluster`
/// only when `BROKERHUB_TEST_REDIS_CLUSTER_URL` is.
enum QueueKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case inMemory
    case sqlite
    case redis
    case redisCluster

    static var allCases: [QueueKind] { [.inMemory, .sqlite] + redisKinds }

    /// The Redis-backed kinds that can run here.
    static var redisKinds: [QueueKind] {
        (RedisTestEnvironment.url == nil ? [] : [.redis]) + (RedisTestEnvironment.clusterURL == nil ? [] : [.redisCluster])
    }

    var description: String { rawValue }
}

/// A fresh queue of one kind, with what backs it removed on deinit: the temporary directory (SQLite) or
/// every key under its unique prefix (Redis).
final class TaskQueueHarness: Sendable {
    let queue: any TaskQueue
    let clock: ManualClock
    let directory: URL?
    let redis: RedisQueueFixture?

    init(_ kind: QueueKind, clock: ManualClock = ManualClock(), scheduler: ShareScheduler = ShareScheduler()) throws {
        self.clock = clock
        switch kind {
        case .inMemory:
            queue = InMemoryTaskQueue(clock: clock, scheduler: scheduler)
            directory = nil
            redis = nil
        case .sqlite:
            let directory = TaskQueueHarness.makeTemporaryDirectory()
            let database = try HubDatabase(path: directory.appendingPathComponent("hub.sqlite").path)
            queue = SQLiteTaskQueue(database: database, clock: clock, scheduler: scheduler)
            self.directory = directory
            redis = nil
        case .redis, .redisCluster:
            let fixture = try RedisQueueFixture("queue", cluster: kind == .redisCluster)
            queue = try fixture.queue(clock: clock, scheduler: scheduler)
            directory = nil
            redis = fixture
        }
    }

    deinit {
        if let directory { try? FileManager.default.removeItem(at: directory) }
        redis?.tearDown()
    }

    static func makeTemporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("TaskQueueTests-\(UUID().uuidString.lowercased())", isDirectory: true)
    }
}

/// A Redis keyspace under a unique prefix for one test, with the clients of the queues made in it (one per
/// queue: each stands for a hub process). `tearDown` deletes every key under the prefix.
final class RedisQueueFixture: Sendable {
    let keyspace: RedisKeyspace
    /// A client for inspecting the keyspace.
    let client: RedisClient
    private let clients: Mutex<[RedisClient]>
    /// On the test cluster rather than the single server.
    let cluster: Bool

    init(_ name: String, cluster: Bool = false) throws {
        self.cluster = cluster
        keyspace = RedisKeyspace(prefix: RedisTestEnvironment.uniquePrefix(name))
        client = try RedisTestEnvironment.client(cluster: cluster)
        clients = Mutex([client])
    }

    /// A queue over the fixture's keyspace with a client of its own.
    func queue(
        clock: any HubClock, scheduler: ShareScheduler = ShareScheduler(), stalledEntryIdle: Duration = .seconds(300)
    ) throws -> RedisTaskQueue {
        let client = try RedisTestEnvironment.client(cluster: cluster)
        clients.withLock { $0.append(client) }
        return RedisTaskQueue(client: client, keyspace: keyspace, clock: clock, scheduler: scheduler, stalledEntryIdle: stalledEntryIdle)
    }

    /// The keys under the prefix.
    func keys() async throws -> [String] {
        try await RedisTestEnvironment.keys(under: keyspace.prefix, using: client)
    }

    /// Deletes the keyspace and shuts the clients down. Tests call it at their end; `tearDown` is the
    /// fallback for a test that stopped early.
    func remove() async {
        let clients = clients.withLock { $0 }
        await RedisTestEnvironment.removeKeys(under: keyspace.prefix, using: client)
        for client in clients { await client.shutdown() }
    }

    /// `remove()` in the background (deinit and `defer` cannot wait; the last test of a run may exit first).
    func tearDown() {
        let fixture = self
        Task { await fixture.remove() }
    }
}

enum TaskQueueSamples {
    /// A small, valid-looking KIS quote task.
    static func task(
        _ label: String, priority: Priority = .interactive, key: String? = nil, at enqueuedAt: Date = Date(timeIntervalSince1970: 1_757_289_600)
    ) -> HubTask {
        let request = BrokerRequest(
            provider: .kis, transaction: "FHKST01010100", method: "GET",
            path: "/uapi/domestic-stock/v1/quotations/inquire-price",
            query: [.init("FID_COND_MRKT_DIV_CODE", "J"), .init("FID_INPUT_ISCD", "005930")],
            headers: [.init("custtype", "P")]
        )
        return HubTask(
            id: "task-\(label)", provider: .kis, account: "50000000-01", request: request, priority: priority,
            idempotencyKey: key, enqueuedAt: enqueuedAt
        )
    }

    static func outcome(at instant: Date, error: TaskError? = nil) -> TaskOutcome {
        TaskOutcome(
            pages: error == nil ? [BrokerResponse(status: 200, headers: ["tr_cont": "D"], body: Array(#"{"rt_cd":"0"}"#.utf8))] : [],
            attempts: 1, startedAt: instant, finishedAt: instant.addingTimeInterval(0.25), error: error
        )
    }
}

extension TaskQueue {
    /// Leases until the queue is empty (or `limit` is reached), returning the ids in lease order.
    func drain(owner: String = "w", limit: Int = .max) async throws -> [String] {
        var ids: [String] = []
        while ids.count < limit, let task = try await lease(owner: owner, for: .seconds(60)) { ids.append(task.id) }
        return ids
    }
}
