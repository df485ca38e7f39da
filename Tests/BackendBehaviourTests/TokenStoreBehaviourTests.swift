import BrokerClients
import BrokerCore
import Foundation
import HubEngine
import HubRedis
import Logging
import MockBroker
import RedisClient
import Synchronization
import Testing

/// The token store implementations the behavioural suite runs against.
enum TokenStoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case inMemory
    case sqlite
    case redis
    case redisCluster

    var description: String { rawValue }

    /// The kinds that can run here: Redis only with BROKERHUB_TEST_REDIS_URL, the cluster only with
    /// BROKERHUB_TEST_REDIS_CLUSTER_URL (both always set in CI).
    static var available: [TokenStoreKind] { [.inMemory, .sqlite] + redisKinds }

    /// The Redis-backed kinds that can run here.
    static var redisKinds: [TokenStoreKind] {
        (RedisTestEnvironment.url == nil ? [] : [.redis]) + (RedisTestEnvironment.clusterURL == nil ? [] : [.redisCluster])
    }
}

/// Stores of one kind over one shared space: for Redis a unique key prefix, each store with a client of its
/// own (each stands for a hub process); for SQLite one database file; in memory one store.
final class TokenStoreHarness: Sendable {
    let kind: TokenStoreKind
    let keyspace = RedisKeyspace(prefix: RedisTestEnvironment.uniquePrefix("tokens"))
    private let memory = InMemoryTokenStore()
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("TokenStoreTests-\(UUID().uuidString.lowercased())")
    private let clients = Mutex<[RedisClient]>([])

    init(_ kind: TokenStoreKind) { self.kind = kind }

    /// A store over the shared space (Redis: a new "process").
    func store() throws -> any TokenStore {
        switch kind {
        case .inMemory:
            return memory
        case .sqlite:
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return SQLiteTokenStore(database: try HubDatabase(path: directory.appendingPathComponent("hub.sqlite").path))
        case .redis, .redisCluster:
            return RedisTokenStore(client: try client(), keyspace: keyspace)
        }
    }

    /// A Redis client of its own (Redis kind only).
    func client() throws -> RedisClient {
        let client = try RedisTestEnvironment.client(cluster: kind == .redisCluster)
        clients.withLock { $0.append(client) }
        return client
    }

    func tearDown() async {
        try? FileManager.default.removeItem(at: directory)
        let clients = clients.withLock { $0 }
        if let client = clients.first { await RedisTestEnvironment.removeKeys(under: keyspace.prefix, using: client) }
        for client in clients { await client.shutdown() }
    }
}

enum TokenSamples {
    static let key = TokenKey(provider: .kis, appKey: "PSbehaviour-secret-app-key", account: "50000000-01", kind: .access)

    /// A sealed token with whole-millisecond times (as every store keeps them).
    static func token(_ text: String, expiresIn seconds: TimeInterval = 86_400) -> SealedToken {
        let now = (Date().timeIntervalSince1970 * 1000).rounded() / 1000
        return SealedToken(
            ciphertext: Data(text.utf8), issuedAt: Date(timeIntervalSince1970: now), expiresAt: Date(timeIntervalSince1970: now + seconds)
        )
    }
}

/// The behaviour every `TokenStore` must show.
@Suite("TokenStore behaviour", .timeLimit(.minutes(5)), .serialized)
struct TokenStoreBehaviourTests {
    typealias Sample = TokenSamples

    @Test("save, load, and compare-and-delete", arguments: TokenStoreKind.available)
    func saveLoadRemove(kind: TokenStoreKind) async throws {
        let harness = TokenStoreHarness(kind)
        let store = try harness.store()
        #expect(try await store.load(Sample.key) == nil)
        let first = Sample.token("sealed-one")
        try await store.save(first, for: Sample.key)
        #expect(try await store.load(Sample.key) == first)
        let other = TokenKey(provider: .kis, appKey: "another-app-key", account: "50000000-01", kind: .access)
        #expect(try await store.load(other) == nil, "another app key is another token")

        let second = Sample.token("sealed-two")
        try await store.save(second, for: Sample.key)
        #expect(try await store.load(Sample.key) == second)
        try await store.remove(Sample.key, ifMatching: first)
        #expect(try await store.load(Sample.key) == second, "a stale compare-and-delete leaves the newer token")
        try await store.remove(Sample.key, ifMatching: second)
        #expect(try await store.load(Sample.key) == nil)
        try await store.save(first, for: Sample.key)
        try await store.remove(Sample.key, ifMatching: nil)
        #expect(try await store.load(Sample.key) == nil, "remove without a token deletes unconditionally")
        await harness.tearDown()
    }

    @Test("a fenced save under a held lock is stored", arguments: TokenStoreKind.available)
    func fencedSave(kind: TokenStoreKind) async throws {
        let harness = TokenStoreHarness(kind)
        let store = try harness.store()
        let lock = try #require(try await store.acquireIssueLock(Sample.key, ttl: .seconds(5)))
        #expect(lock.isProcessLocal == !TokenStoreKind.redisKinds.contains(kind))
        #expect(try await store.save(Sample.token("fenced"), for: Sample.key, fencedBy: lock))
        #expect(try await store.load(Sample.key)?.ciphertext == Data("fenced".utf8))
        #expect(try await store.extendIssueLock(lock, ttl: .seconds(5)))
        try await store.releaseIssueLock(lock)
        await harness.tearDown()
    }
}

/// Redis-only token store behaviour: expiry, and the cross-process issuance lock.
@Suite("TokenStore (Redis)", .timeLimit(.minutes(5)), .serialized, .enabled(if: RedisTestEnvironment.url != nil, "needs BROKERHUB_TEST_REDIS_URL"))
struct RedisTokenStoreTests {
    typealias Sample = TokenSamples

    @Test("the key is {prefix:api:token:{provider}:{account}:{digest}} (a hash tag); the value expires with the token")
    func keyAndExpiry() async throws {
        let harness = TokenStoreHarness(.redis)
        let store = try harness.store()
        let client = try harness.client()
        // Long enough that a loaded machine (the whole suite in parallel, a stress run beside it) reaches KEYS
        // before it expires: 2 s was not.
        try await store.save(Sample.token("short", expiresIn: 6), for: Sample.key)
        let keys = try await RedisTestEnvironment.keys(under: harness.keyspace.prefix, using: client)
        #expect(keys == ["{" + harness.keyspace.prefix + ":api:token:kis:50000000-01:" + Sample.key.appKeyDigest + "}"])
        #expect(!keys.contains { $0.contains("secret") })
        let key = try #require(keys.first)
        let ttl = try #require(try await client.send("PTTL", .string(key)).int)
        #expect(ttl > 0 && ttl <= 6_000)
        let raw = try #require(try await client.send("GET", .string(key)).bytes)
        #expect(raw.count == 17 + "short".utf8.count, "version, two times, then the ciphertext")
        try await Task.sleep(for: .milliseconds(Int64(ttl) + 200))
        #expect(try await store.load(Sample.key) == nil, "expired server-side")
        try await store.save(Sample.token("already-expired", expiresIn: -1), for: Sample.key)
        #expect(try await store.load(Sample.key) == nil, "an expired token is not stored")
        await harness.tearDown()
    }

    @Test("the issuance lock excludes other processes; release and expiry free it; fencing grows")
    func lockExclusivity() async throws {
        let harness = TokenStoreHarness(.redis)
        let one = try harness.store()
        let two = try harness.store()
        let first = try #require(try await one.acquireIssueLock(Sample.key, ttl: .seconds(5)))
        #expect(try await two.acquireIssueLock(Sample.key, ttl: .seconds(5)) == nil)
        #expect(try await one.acquireIssueLock(Sample.key, ttl: .seconds(5)) == nil, "not re-entrant either")
        let approval = TokenKey(provider: .kis, appKey: Sample.key.appKey, account: Sample.key.account, kind: .approval)
        #expect(try await two.acquireIssueLock(approval, ttl: .seconds(5)) != nil, "another token has its own lock")
        try await one.releaseIssueLock(first)
        let second = try #require(try await two.acquireIssueLock(Sample.key, ttl: .milliseconds(200)))
        #expect(second.fencing > first.fencing)
        // A stale holder's release and extension do nothing to the current holder's lock.
        try await one.releaseIssueLock(first)
        #expect(try await one.extendIssueLock(first, ttl: .seconds(5)) == false)
        #expect(try await one.acquireIssueLock(Sample.key, ttl: .seconds(5)) == nil)
        // Expiry frees it.
        try await Task.sleep(for: .milliseconds(350))
        let third = try #require(try await one.acquireIssueLock(Sample.key, ttl: .seconds(5)))
        #expect(third.fencing > second.fencing)
        await harness.tearDown()
    }

    @Test("extending keeps the lock past its first ttl")
    func extend() async throws {
        let harness = TokenStoreHarness(.redis)
        let one = try harness.store()
        let two = try harness.store()
        let lock = try #require(try await one.acquireIssueLock(Sample.key, ttl: .milliseconds(300)))
        #expect(try await one.extendIssueLock(lock, ttl: .seconds(5)))
        try await Task.sleep(for: .milliseconds(450))
        #expect(try await two.acquireIssueLock(Sample.key, ttl: .seconds(5)) == nil)
        #expect(try await one.save(Sample.token("still-held"), for: Sample.key, fencedBy: lock))
        await harness.tearDown()
    }

    @Test("a fenced save is refused once the lock expired or was taken over, and leaves the newer token")
    func fencedSaveRefusedAfterTakeover() async throws {
        let harness = TokenStoreHarness(.redis)
        let one = try harness.store()
        let two = try harness.store()
        let stale = try #require(try await one.acquireIssueLock(Sample.key, ttl: .milliseconds(150)))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await one.save(Sample.token("expired-holder"), for: Sample.key, fencedBy: stale) == false, "expired: refused")
        #expect(try await one.load(Sample.key) == nil)
        let current = try #require(try await two.acquireIssueLock(Sample.key, ttl: .seconds(5)))
        let fresh = Sample.token("current-holder")
        #expect(try await two.save(fresh, for: Sample.key, fencedBy: current))
        #expect(try await one.save(Sample.token("expired-holder"), for: Sample.key, fencedBy: stale) == false, "taken over: refused")
        #expect(try await one.load(Sample.key) == fresh)
        await harness.tearDown()
    }
}

/// Token managers in two "processes" (separate Redis clients and stores) against an in-process mock broker.
@Suite("TokenManager across processes (Redis)", .timeLimit(.minutes(5)), .serialized, .enabled(if: RedisTestEnvironment.url != nil, "needs BROKERHUB_TEST_REDIS_URL"))
struct DistributedTokenManagerTests {
    static func cipher() -> TokenCipher { try! TokenCipher(base64: Data(repeating: 7, count: 32).base64EncodedString()) }

    static func policy(lockTTL: Duration = .seconds(30)) -> TokenManager.Policy {
        var policy = TokenManager.Policy()
        policy.tooFrequentWait = .milliseconds(300)
        policy.retryDelay = .milliseconds(50)
        policy.issueLockTTL = lockTTL
        policy.lockPollInterval = .milliseconds(50)
        return policy
    }

    static func runMock(_ body: @Sendable (MockBroker, BrokerAccount) async throws -> Void) async throws {
        var configuration = MockBrokerConfiguration(credentials: .generated(seed: 4242))
        configuration.universeSize = 300
        configuration.alwaysOpen = true
        var logger = Logger(label: "test.mock")
        logger.logLevel = .error
        try await MockBrokerServer.withRunning(configuration, logger: logger) { broker, baseURL in
            let key = broker.configuration.credentials.keys.first { $0.provider == .kis }!
            let account = BrokerAccount(
                provider: .kis, appKey: key.appKey, secret: key.secret, account: "50000000-01",
                kind: key.kind == .paper ? .paper : .real, baseURL: baseURL
            )
            try await body(broker, account)
        }
    }

    /// `count` concurrent `token(for:)` calls, caller `i` on `manager(i)`.
    static func tokens(_ count: Int, account: BrokerAccount, manager: @escaping @Sendable (Int) -> TokenManager) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<count {
                group.addTask { try await manager(index).token(for: account) }
            }
            var values: [String] = []
            for try await value in group { values.append(value) }
            return values
        }
    }

    @Test("two processes with 40 concurrent callers each cause exactly one issuance", arguments: TokenStoreKind.redisKinds)
    func oneIssuanceAcrossProcesses(kind: TokenStoreKind) async throws {
        let harness = TokenStoreHarness(kind)
        try await Self.runMock { broker, account in
            let first = TokenManager(store: try harness.store(), cipher: Self.cipher(), clients: [KISClient()], policy: Self.policy())
            let second = TokenManager(store: try harness.store(), cipher: Self.cipher(), clients: [KISClient()], policy: Self.policy())
            let values = try await Self.tokens(80, account: account) { $0 % 2 == 0 ? first : second }
            #expect(values.count == 80)
            #expect(Set(values).count == 1, "every caller in both processes got the same token")
            let stats = broker.stats.snapshot(.kis)
            #expect(stats.requests["tokenP"] == 1, "one request to /oauth2/tokenP")
            #expect(stats.tokensIssued == 1)
            let issuedByFirst = await first.issued[.kis] ?? 0
            let issuedBySecond = await second.issued[.kis] ?? 0
            #expect(issuedByFirst + issuedBySecond == 1)
        }
        await harness.tearDown()
    }

    @Test("a holder that died with the lock delays issuance only until the lock expires", arguments: TokenStoreKind.redisKinds)
    func deadHolderLockExpires(kind: TokenStoreKind) async throws {
        let harness = TokenStoreHarness(kind)
        try await Self.runMock { broker, account in
            let dead = try harness.store()
            _ = try #require(try await dead.acquireIssueLock(TokenKey(account, kind: .access), ttl: .milliseconds(500)))
            let manager = TokenManager(store: try harness.store(), cipher: Self.cipher(), clients: [KISClient()], policy: Self.policy())
            let start = Date()
            let token = try await manager.token(for: account)
            #expect(!token.isEmpty)
            #expect(Date().timeIntervalSince(start) >= 0.4, "it waited for the dead holder's lock")
            #expect(broker.stats.snapshot(.kis).tokensIssued == 1)
        }
        await harness.tearDown()
    }

    @Test("a process that finds the lock held takes the token its holder saves instead of issuing", arguments: TokenStoreKind.redisKinds)
    func waiterTakesTheHoldersToken(kind: TokenStoreKind) async throws {
        let harness = TokenStoreHarness(kind)
        try await Self.runMock { broker, account in
            let key = TokenKey(account, kind: .access)
            let holder = try harness.store()
            let lock = try #require(try await holder.acquireIssueLock(key, ttl: .seconds(10)))
            let manager = TokenManager(store: try harness.store(), cipher: Self.cipher(), clients: [KISClient()], policy: Self.policy())
            let waiting = Task { try await manager.token(for: account) }
            try await Task.sleep(for: .milliseconds(200))
            // The holder "issued" and saves under its lock.
            let sealed = SealedToken(ciphertext: try Self.cipher().seal("token-from-the-holder"), issuedAt: Date(), expiresAt: Date().addingTimeInterval(86_400))
            #expect(try await holder.save(sealed, for: key, fencedBy: lock))
            #expect(try await waiting.value == "token-from-the-holder")
            try await holder.releaseIssueLock(lock)
            #expect(broker.stats.snapshot(.kis).requests["tokenP"] == nil, "the waiter never asked the broker")
            #expect(await manager.issued[.kis] == nil)
        }
        await harness.tearDown()
    }
}
