import BrokerClients
import BrokerCore
import Foundation
import Logging
import Metrics

/// One live token per (provider, app key, account, kind), shared by every caller: cached in memory,
/// stored encrypted, refreshed ahead of expiry, issued single-flight so concurrent callers never cause a
/// second issuance, with bounded retries that respect the broker's issuance rules (KIS `EGW00133`).
/// Token values never reach a log line.
public actor TokenManager {
    public struct Policy: Sendable {
        /// Refresh this long before expiry (default 5 minutes).
        public var refreshAhead: Duration = .seconds(300)
        /// Issuance attempts per request for a token.
        public var maxAttempts = 3
        /// First backoff between attempts; doubles each time.
        public var retryDelay: Duration = .seconds(1)
        /// How long to wait when the broker says tokens are issued too often (KIS: 1 per minute).
        public var tooFrequentWait: Duration = .seconds(61)

        public init() {}
    }

    private let store: any TokenStore
    private let cipher: TokenCipher
    private let clients: [Provider: any BrokerClient]
    private let clock: any HubClock
    private let policy: Policy
    private let logger: Logger
    private var cache: [TokenKey: IssuedToken] = [:]
    private var accounts: [TokenKey: BrokerAccount] = [:]
    private var inFlight: [TokenKey: Task<IssuedToken, any Error>] = [:]
    /// The value `invalidate` last dropped per key: never taken back from the store, where it lingers until
    /// the compare-and-delete has run (callers that load meanwhile would otherwise resurrect it).
    private var invalidated: [TokenKey: String] = [:]
    /// Issuances made by this process, per provider (for status and tests).
    public private(set) var issued: [Provider: Int] = [:]

    public init(
        store: any TokenStore, cipher: TokenCipher, clients: [any BrokerClient], clock: any HubClock = SystemClock(),
        policy: Policy = Policy(), logger: Logger = Logger(label: "brokerhub.tokens")
    ) {
        self.store = store
        self.cipher = cipher
        self.clients = Dictionary(uniqueKeysWithValues: clients.map { ($0.provider, $0) })
        self.clock = clock
        self.policy = policy
        self.logger = logger
    }

    /// The account's live token of `kind`, issuing one only when none is stored or it is about to expire.
    public func token(for account: BrokerAccount, kind: TokenKind = .access) async throws -> String {
        try await current(for: account, kind: kind).value
    }

    /// The live token with its times.
    public func current(for account: BrokerAccount, kind: TokenKind = .access) async throws -> IssuedToken {
        let key = TokenKey(account, kind: kind)
        accounts[key] = account
        let now = clock.now
        if let cached = cache[key], fresh(cached, now) { return cached }
        if let running = inFlight[key] { return try await running.value }
        let stored = try await loadStored(key)
        // Other callers ran during the load: take what they cached or are issuing, never issue twice.
        if let cached = cache[key], fresh(cached, clock.now) { return cached }
        if let running = inFlight[key] { return try await running.value }
        if let stored, stored.value != invalidated[key], stored.expiresAt > now {
            cache[key] = stored
            if fresh(stored, now) { return stored }
        }
        return try await issue(key, account: account)
    }

    /// Drops `token` if it is still the current one (the broker said it expired or is invalid), so that the
    /// next request issues a new one. Callers that saw the same stale token do not cause a second issuance.
    @discardableResult
    public func invalidate(_ token: String, for account: BrokerAccount, kind: TokenKind = .access) async throws -> Bool {
        let key = TokenKey(account, kind: kind)
        guard let cached = cache[key], cached.value == token else { return false }
        cache[key] = nil
        invalidated[key] = token
        if let stored = try await store.load(key), (try? cipher.open(stored.ciphertext)) == token {
            try await store.remove(key, ifMatching: stored)
        }
        logger.info("token invalidated", metadata: ["token.key": "\(key)"])
        return true
    }

    /// Refreshes every known token that is within the refresh window (run periodically by `TokenRefresher`).
    public func refreshDue() async {
        let now = clock.now
        for (key, account) in accounts {
            guard let token = cache[key], !fresh(token, now), inFlight[key] == nil else { continue }
            do {
                _ = try await issue(key, account: account)
            } catch {
                logger.warning("token refresh failed", metadata: ["token.key": "\(key)", "error.message": "\(error)"])
            }
        }
    }

    /// Seconds until each known token expires (for metrics and status).
    public func expiries() -> [TokenKey: Date] { cache.mapValues(\.expiresAt) }

    private func fresh(_ token: IssuedToken, _ now: Date) -> Bool {
        token.expiresAt.timeIntervalSince(now) > policy.refreshAhead.timeInterval
    }

    private func loadStored(_ key: TokenKey) async throws -> IssuedToken? {
        guard let sealed = try await store.load(key) else { return nil }
        let value = try cipher.open(sealed.ciphertext)
        return IssuedToken(value: value, expiresAt: sealed.expiresAt, issuedAt: sealed.issuedAt)
    }

    private func issue(_ key: TokenKey, account: BrokerAccount) async throws -> IssuedToken {
        if let running = inFlight[key] { return try await running.value }
        let task = Task { try await self.issueWithRetries(key, account: account) }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        let token = try await task.value
        cache[key] = token
        return token
    }

    private func issueWithRetries(_ key: TokenKey, account: BrokerAccount) async throws -> IssuedToken {
        guard let client = clients[account.provider] else {
            throw BrokerHubError(.invalidConfiguration, "no client for \(account.provider.rawValue)")
        }
        var delay = policy.retryDelay
        var attempt = 0
        while true {
            attempt += 1
            do {
                let token = key.kind == .access ? try await client.issueToken(for: account) : try await client.approvalKey(for: account)
                let sealed = SealedToken(ciphertext: try cipher.seal(token.value), issuedAt: token.issuedAt, expiresAt: token.expiresAt)
                try await store.save(sealed, for: key)
                issued[account.provider, default: 0] += 1
                Counter(label: "brokerhub_tokens_issued_total", dimensions: [("provider", account.provider.rawValue), ("kind", key.kind.rawValue)]).increment()
                logger.info("token issued", metadata: [
                    "token.key": "\(key)", "token.expires_at": "\(KST.iso8601(token.expiresAt))", "token.attempt": "\(attempt)",
                ])
                return token
            } catch let error as BrokerHubError {
                let category = error.failure?.category
                guard attempt < policy.maxAttempts, let category, category.isRetryable else { throw error }
                let wait = category == .tokenIssueTooFrequent ? policy.tooFrequentWait : delay
                logger.warning("token issue failed; retrying", metadata: [
                    "token.key": "\(key)", "broker.code": "\(error.failure?.code ?? "-")", "retry.wait_s": "\(wait.timeInterval)",
                ])
                try await clock.sleep(for: wait)
                delay = delay * 2
            }
        }
    }
}
