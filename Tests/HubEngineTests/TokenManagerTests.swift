import BrokerClients
import BrokerCore
import BrokerHubTesting
import Foundation
import GRDB
import HubEngine
import MockBroker
import Synchronization
import Testing

/// `TokenManager` against the mock broker over real loopback HTTP, with tokens in SQLite.
@Suite("TokenManager against the mock broker", .timeLimit(.minutes(5)), .serialized)
struct TokenManagerTests {
    @Test("50 concurrent callers share one issuance; a restarted process reuses the stored token")
    func singleFlightAndRestart() async throws {
        let directory = TemporaryDirectory("TokenManager")
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let database = try HubDatabase(path: directory.path("hub.sqlite"))
            let store = SQLiteTokenStore(database: database)
            let cipher = HubFixtures.cipher()
            let manager = TokenManager(store: store, cipher: cipher, clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())

            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try await manager.token(for: account) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(values.count == 50)
            #expect(Set(values).count == 1, "every caller got the same token")
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.tokensIssued == 1)
            #expect(stats.requests("tokenP") == 1, "one request to /oauth2/tokenP, no re-hand-outs")
            #expect(await manager.issued[.kis] == 1)

            // The stored row is ciphertext that does not contain the token.
            let token = try #require(values.first)
            let ciphertext = try await database.writer.read { db in
                try Data.fetchOne(db, sql: "SELECT ciphertext FROM hub_tokens")
            }
            let stored = try #require(ciphertext)
            #expect(stored.range(of: Data(token.utf8)) == nil)
            #expect(stored.range(of: Data(token.suffix(40).utf8)) == nil)
            #expect(try cipher.open(stored) == token)
            let rows = try await database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM hub_tokens") }
            #expect(rows == 1)

            // A "restarted process": a new manager and a new database connection over the same file.
            let reopened = try HubDatabase(path: directory.path("hub.sqlite"))
            let restarted = TokenManager(store: SQLiteTokenStore(database: reopened), cipher: cipher, clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            let afterRestart = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 { group.addTask { try await restarted.token(for: account) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(afterRestart) == [token])
            let later = try await HubMock.stats(baseURL, .kis)
            #expect(later.tokensIssued == 1)
            #expect(later.requests("tokenP") == 1)
            #expect(await restarted.issued[.kis] == nil)

            // The token works against the broker.
            let answer = try await KISClient().send(try HubFixtures.kisQuote(), account: account, token: token, timeout: .seconds(10))
            #expect(KISClient().failure(in: answer) == nil)
        }
    }

    @Test("a caller whose store read returns after another caller's issuance takes that token instead of issuing again")
    func slowStoreReadDoesNotCauseSecondIssuance() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let store = GatedTokenStore()
            let manager = TokenManager(store: store, cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            let first = Task { try await manager.token(for: account) }
            try await eventually("the first caller reads the store") { store.waiting == 1 }
            let second = Task { try await manager.token(for: account) }
            try await eventually("the second caller reads the store") { store.waiting == 2 }
            // The first read answers (nothing stored): that caller issues a token and caches it.
            store.release(1)
            let token = try await first.value
            // Only now does the second caller's read answer (still nothing: it was taken before the save).
            store.release(1)
            #expect(try await second.value == token)
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("tokenP") == 1, "one request to /oauth2/tokenP")
            #expect(await manager.issued[.kis] == 1)
        }
    }

    /// Issue #19: the store went down between the broker issuing a token and its save. The token was
    /// thrown away, and with KIS's one token a minute (EGW00133) every hub then waited 61 s. Now it is used
    /// from memory and saved once the store answers again.
    @Test("a token the store could not save is used from memory and saved when the store returns")
    func tokenIssuedWhileTheStoreIsDownIsKept() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let store = FaultyTokenStore()
            let manager = TokenManager(store: store, cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            store.failSaves(true)
            let token = try await manager.token(for: account)
            #expect(try await manager.token(for: account) == token, "the unsaved token serves later callers")
            #expect(try await store.load(TokenKey(account, kind: .access)) == nil)
            store.failSaves(false)
            try await Task.sleep(for: .milliseconds(1100))  // saves are retried at most once a second
            _ = try await manager.token(for: account)
            // Another process now finds it in the store instead of asking the broker.
            let other = TokenManager(store: store, cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            #expect(try await other.token(for: account) == token)
            #expect(try await HubMock.stats(baseURL, .kis).requests("tokenP") == 1, "one issuance in all")
        }
    }

    @Test("after early expiry, 20 concurrent invalidations of the stale token lead to exactly one new issuance")
    func invalidateOnceUnderConcurrency() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let database = try HubDatabase()
            let manager = TokenManager(
                store: SQLiteTokenStore(database: database), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(),
                policy: HubFixtures.tokenPolicy(tooFrequentWait: .milliseconds(250))
            )
            let stale = try await manager.token(for: account)
            #expect(try await HubMock.expireTokens(baseURL, provider: .kis) == 1)
            let quote = try HubFixtures.kisQuote()
            let expired = try await KISClient().send(quote, account: account, token: stale, timeout: .seconds(10))
            #expect(KISClient().failure(in: expired)?.category == .tokenExpired)

            let results = try await withThrowingTaskGroup(of: (Bool, String).self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let dropped = try await manager.invalidate(stale, for: account)
                        return (dropped, try await manager.token(for: account))
                    }
                }
                return try await group.reduce(into: [(Bool, String)]()) { $0.append($1) }
            }
            #expect(results.filter(\.0).count == 1, "only the first caller drops the token")
            let fresh = Set(results.map(\.1))
            #expect(fresh.count == 1, "all callers got the same token")
            #expect(!fresh.contains(stale), "no caller got the stale token back")
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.tokensIssued == 2)
            #expect(await manager.issued[.kis] == 2)

            // Invalidating an old value again changes nothing.
            #expect(try await manager.invalidate(stale, for: account) == false)
            let fresher = try #require(fresh.first)
            #expect(try await manager.token(for: account) == fresher)
            let answer = try await KISClient().send(quote, account: account, token: fresher, timeout: .seconds(10))
            #expect(KISClient().failure(in: answer) == nil)
            #expect(try await HubMock.stats(baseURL, .kis).tokensIssued == 2)
        }
    }

    /// A manager on a manual clock whose KIS token was just issued and then invalidated (the broker expired it):
    /// the next issuance within `brokerInterval` of the first meets EGW00133.
    private func withInvalidatedToken(
        brokerInterval: Duration,
        _ body: @Sendable (_ baseURL: String, BrokerAccount, ManualClock, TokenManager, _ stale: String) async throws -> Void
    ) async throws {
        let configuration = HubMock.configuration { $0.kisTokenIssueInterval = brokerInterval }
        try await HubMock.run(configuration) { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let clock = ManualClock(start: Date())
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), clock: clock)
            let stale = try await manager.token(for: account)
            try await HubMock.expireTokens(baseURL, provider: .kis)
            #expect(try await manager.invalidate(stale, for: account))
            try await body(baseURL, account, clock, manager, stale)
        }
    }

    @Test("EGW00133: the manager waits tooFrequentWait (61 s by default, simulated) before asking again, then succeeds")
    func tooFrequentIsWaitedOut() async throws {
        try await withInvalidatedToken(brokerInterval: .milliseconds(400)) { baseURL, account, clock, manager, stale in

            // Within the broker's interval: EGW00133, then the manager sleeps instead of hammering.
            let second = Task { try await manager.token(for: account) }
            try await eventually("the manager waits after EGW00133") { clock.sleeperCount == 1 }
            var stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.tokenIssueRejected == 1)
            #expect(stats.requests("tokenP") == 2)
            // Let the broker's real interval pass; the manager still waits for its own (simulated) 61 s.
            try await Task.sleep(for: .milliseconds(450))
            clock.advance(by: .seconds(60))
            try await Task.sleep(for: .milliseconds(50))
            #expect(clock.sleeperCount == 1)
            #expect(try await HubMock.stats(baseURL, .kis).requests("tokenP") == 2, "no request while waiting")
            clock.advance(by: .seconds(1))
            let token = try await second.value
            #expect(token != stale)
            stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("tokenP") == 3)
            #expect(stats.tokensIssued == 2)
            #expect(stats.tokenIssueRejected == 1)
        }
    }

    @Test("waiting out EGW00133: a cancelled caller leaves the others their issuance; when every caller is cancelled (a shutdown) the wait ends at once")
    func cancelledWaitersEndTheTooFrequentWait() async throws {
        try await withInvalidatedToken(brokerInterval: .seconds(30)) { baseURL, account, clock, manager, _ in

            let first = Task { try await manager.token(for: account) }
            try await eventually("the manager waits after EGW00133") { clock.sleeperCount == 1 }
            let second = Task { try await manager.token(for: account) }
            try await Task.sleep(for: .milliseconds(100))
            first.cancel()
            try await Task.sleep(for: .milliseconds(100))
            #expect(clock.sleeperCount == 1, "one caller is still waiting: the issuance goes on")
            second.cancel()
            // Both cancelled: the issuance's 61 s sleep (never advanced here) ends now, and so do both waits.
            for task in [first, second] {
                await #expect(throws: CancellationError.self) { try await task.value }
            }
            #expect(try await HubMock.stats(baseURL, .kis).requests("tokenP") == 2, "nothing asked after the refusal")
            // A later caller starts afresh (the cancelled issuance is not joined).
            let third = Task { try await manager.token(for: account) }
            try await eventually("a new issuance waits out EGW00133") { clock.sleeperCount == 1 }
            third.cancel()
            await #expect(throws: CancellationError.self) { try await third.value }
        }
    }

    @Test("EGW00133 with a real 1 s broker interval and a short tooFrequentWait: no hammering, then success")
    func tooFrequentWithRealWaiting() async throws {
        let configuration = HubMock.configuration { $0.kisTokenIssueInterval = .seconds(1) }
        try await HubMock.run(configuration) { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let manager = TokenManager(
                store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(),
                policy: HubFixtures.tokenPolicy(tooFrequentWait: .milliseconds(1100))
            )
            let stale = try await manager.token(for: account)
            try await HubMock.expireTokens(baseURL, provider: .kis)
            try await manager.invalidate(stale, for: account)
            let fresh = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 { group.addTask { try await manager.token(for: account) } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(fresh.count == 1)
            #expect(!fresh.contains(stale))
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("tokenP") <= 3, "at most: first issue, one rejection, one success")
            #expect(stats.tokensIssued == 2)
        }
    }

    @Test("a refused secret is permanent: no retries, a clear error")
    func badSecretFailsFast() async throws {
        try await HubMock.run { broker, baseURL in
            var account = HubMock.account(broker, .kis, baseURL: baseURL)
            account.secret = String(repeating: "x", count: 180)
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            let error = await #expect(throws: BrokerHubError.self) { try await manager.token(for: account) }
            #expect(error?.failure?.category == .permanent)
            #expect(error?.failure?.code == "EGW00105")
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("tokenP") == 1)
        }
    }

    @Test("transient issuance failures are retried up to maxAttempts (3)")
    func transientIssuanceRetries() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            try await HubMock.setFaults(baseURL, #"{"server_error_rate":1.0}"#)
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy(retryDelay: .milliseconds(10)))
            let error = await #expect(throws: BrokerHubError.self) { try await manager.token(for: account) }
            #expect(error?.failure?.category == .transient)
            #expect(try await HubMock.stats(baseURL, .kis).faults("server_error") == 3)
            try await HubMock.setFaults(baseURL, "{}")
            #expect(try await manager.token(for: account).isEmpty == false)
            #expect(try await HubMock.stats(baseURL, .kis).tokensIssued == 1)
        }
    }

    @Test("Kiwoom: one issuance for concurrent callers; the approval key is unsupported")
    func kiwoomTokens() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kiwoom, baseURL: baseURL)
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await manager.token(for: account) } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(values.count == 1)
            let stats = try await HubMock.stats(baseURL, .kiwoom)
            #expect(stats.requests("au10001") == 1)
            #expect(stats.tokensIssued == 1)
            let expiry = try #require(await manager.expiries().values.first)
            // expires_dt is KST: the 24 h lifetime must come out as ~24 h, not 15 h or 33 h.
            #expect(abs(expiry.timeIntervalSinceNow - 86_400) < 120)
            let error = await #expect(throws: BrokerHubError.self) { try await manager.token(for: account, kind: .approval) }
            #expect(error?.code == .unsupportedTransaction)
        }
    }

    @Test("a failed issuance is kept (for the hub's token.failed alert) until an issuance succeeds")
    func failedIssuanceIsReportedUntilOneSucceeds() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            var wrong = account
            wrong.secret = String(repeating: "x", count: account.secret.count)
            var policy = HubFixtures.tokenPolicy()
            policy.maxAttempts = 1
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: policy)
            await #expect(throws: BrokerHubError.self) { try await manager.token(for: wrong) }
            let failure = try #require(await manager.issueFailures[.kis])
            #expect(failure.kind == .access && !failure.message.contains(wrong.secret), "\(failure.message)")
            _ = try await manager.token(for: account)
            #expect(await manager.issueFailures[.kis] == nil)
        }
    }

    @Test("KIS approval keys are single-flight too, and kept apart from the access token")
    func approvalKeys() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let store = InMemoryTokenStore()
            let manager = TokenManager(store: store, cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), policy: HubFixtures.tokenPolicy())
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 { group.addTask { try await manager.token(for: account, kind: .approval) } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(keys.count == 1)
            let access = try await manager.token(for: account)
            #expect(!keys.contains(access))
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.json["approval_keys_issued"]?.intValue == 1)
            #expect(stats.tokensIssued == 1)
            #expect(await manager.issued[.kis] == 1, "counted apart: the status shows tokens and approval keys")
            #expect(await manager.approvalKeysIssued[.kis] == 1)
            #expect(try await store.load(TokenKey(account, kind: .approval)) != nil)
            #expect(try await store.load(TokenKey(account, kind: .access)) != nil)
            #expect(TokenKey(account, kind: .approval).storageKey != TokenKey(account, kind: .access).storageKey)
            #expect(!TokenKey(account, kind: .access).storageKey.contains(account.appKey), "the app key is not in the storage key")
        }
    }

    @Test("a refused approval key is re-issued no sooner than approvalIssueInterval (KIS: 1 per second) after the last")
    func approvalKeysArePaced() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kis, baseURL: baseURL)
            let clock = ManualClock(start: Date())
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), clock: clock)
            let first = try await manager.token(for: account, kind: .approval)
            #expect(try await manager.invalidate(first, for: account, kind: .approval))
            // Right after the first request: the manager waits on its clock instead of asking the broker.
            let second = Task { try await manager.token(for: account, kind: .approval) }
            try await eventually("the manager paces the approval request") { clock.sleeperCount == 1 }
            #expect(try await HubMock.stats(baseURL, .kis).requests("Approval") == 1)
            // The mock's own 1 s rule must pass too: this test asks it only once the real second has gone.
            try await Task.sleep(for: .milliseconds(1_050))
            clock.advance(by: .seconds(1))
            let key = try await second.value
            #expect(key != first)
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("Approval") == 2)
            #expect(stats.json["approval_keys_rejected"]?.intValue == 0)
        }
    }

    @Test("tokens are refreshed ahead of expiry (refreshAhead) and refreshDue renews them")
    func refreshAhead() async throws {
        try await HubMock.run { broker, baseURL in
            let account = HubMock.account(broker, .kiwoom, baseURL: baseURL)
            let clock = ManualClock(start: Date())
            let manager = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: HubFixtures.clients(), clock: clock)
            let first = try await manager.token(for: account)
            clock.advance(by: .seconds(86_400 - 600))
            #expect(try await manager.token(for: account) == first, "10 min before expiry the token is still fresh")
            clock.advance(by: .seconds(301))
            await manager.refreshDue()
            // Kiwoom hands back the current token while it is valid: the call is made, the value may be the same.
            #expect(try await HubMock.stats(baseURL, .kiwoom).requests("au10001") == 2)
            #expect(await manager.issued[.kiwoom] == 2)
        }
    }
}

/// A token store whose loads wait (answering what was stored when they were called) until the test
/// releases them, in call order.
final class GatedTokenStore: TokenStore {
    private let inner = InMemoryTokenStore()
    private let gates = Mutex<[(SealedToken?, CheckedContinuation<SealedToken?, Never>)]>([])

    var waiting: Int { gates.withLock { $0.count } }

    func release(_ count: Int) {
        let released = gates.withLock { gates in
            let first = Array(gates.prefix(count))
            gates.removeFirst(first.count)
            return first
        }
        for (value, continuation) in released { continuation.resume(returning: value) }
    }

    func load(_ key: TokenKey) async throws -> SealedToken? {
        let snapshot = try await inner.load(key)
        return await withCheckedContinuation { continuation in
            gates.withLock { $0.append((snapshot, continuation)) }
        }
    }

    func save(_ token: SealedToken, for key: TokenKey) async throws { try await inner.save(token, for: key) }
    func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws { try await inner.remove(key, ifMatching: token) }
}

/// A working token store whose saves fail while the test says so (a store that went away mid-issuance).
final class FaultyTokenStore: TokenStore {
    private let inner = InMemoryTokenStore()
    private let failing = Mutex(false)

    func failSaves(_ fail: Bool) { failing.withLock { $0 = fail } }

    private func check() throws {
        if failing.withLock({ $0 }) { throw BrokerHubError(.unavailable, "token store down (test)") }
    }

    func load(_ key: TokenKey) async throws -> SealedToken? { try await inner.load(key) }
    func save(_ token: SealedToken, for key: TokenKey) async throws {
        try check()
        try await inner.save(token, for: key)
    }
    func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws { try await inner.remove(key, ifMatching: token) }
    func acquireIssueLock(_ key: TokenKey, ttl: Duration) async throws -> TokenLock? { try await inner.acquireIssueLock(key, ttl: ttl) }
    func extendIssueLock(_ lock: TokenLock, ttl: Duration) async throws -> Bool { try await inner.extendIssueLock(lock, ttl: ttl) }
    func releaseIssueLock(_ lock: TokenLock) async throws { try await inner.releaseIssueLock(lock) }
    func save(_ token: SealedToken, for key: TokenKey, fencedBy lock: TokenLock) async throws -> Bool {
        try check()
        return try await inner.save(token, for: key, fencedBy: lock)
    }
}
