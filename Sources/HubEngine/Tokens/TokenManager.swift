import BrokerClients
import BrokerCore
import Crypto
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
        /// How long the cross-process issuance lock lives without being extended: longer than one broker call
        /// (the holder extends it through retry waits; a dead holder's lock frees itself after this).
        public var issueLockTTL: Duration = .seconds(30)
        /// How often a caller that finds the lock held looks for the token its holder saves.
        public var lockPollInterval: Duration = .milliseconds(200)
        /// At least this long between two approval-key requests for one app key (KIS: at most 1 per second).
        public var approvalIssueInterval: Duration = .seconds(1)

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
    private var inFlight: [TokenKey: SharedTask<IssuedToken>] = [:]
    /// The value `invalidate` last dropped per key: never taken back from the store, where it lingers until
    /// the compare-and-delete has run (callers that load meanwhile would otherwise resurrect it).
    private var invalidated: [TokenKey: String] = [:]
    /// Tokens the broker issued while the store could not take them: used from memory here and saved as soon
    /// as the store answers again (a KIS token lost this way costs every process a minute: EGW00133).
    private var unsaved: [TokenKey: SealedToken] = [:]
    private var nextSaveAttempt = Date.distantPast
    /// When this process last asked the broker for an approval key, per provider and app key.
    private var lastApprovalRequest: [String: Date] = [:]
    /// Access tokens this process issued, per provider (for status and tests).
    public private(set) var issued: [Provider: Int] = [:]
    /// WebSocket approval keys this process issued, per provider.
    public private(set) var approvalKeysIssued: [Provider: Int] = [:]
    /// The last issuance that failed after its retries, per provider, until one succeeds (an alert source).
    public private(set) var issueFailures: [Provider: IssueFailure] = [:]

    /// An issuance that failed: when, and the error (the broker's code and message; never a secret).
    public struct IssueFailure: Sendable, Hashable {
        public var at: Date
        public var kind: TokenKind
        public var message: String
    }

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
        if !unsaved.isEmpty { await saveUnsaved() }
        if let cached = cache[key], fresh(cached, now) { return cached }
        if let running = inFlight[key], !running.isAbandoned { return try await running.value() }
        let stored = try await loadStored(key)
        // Other callers ran during the load: take what they cached or are issuing, never issue twice.
        if let cached = cache[key], fresh(cached, clock.now) { return cached }
        if let running = inFlight[key], !running.isAbandoned { return try await running.value() }
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
        if !unsaved.isEmpty { await saveUnsaved() }
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

    /// What the store holds for one token — never its value: a short fingerprint tells two apart.
    public struct StoredTokenInfo: Sendable, Hashable {
        public var key: TokenKey
        public var issuedAt: Date
        public var expiresAt: Date
        /// The first 8 hex digits of the token's SHA-256.
        public var fingerprint: String
    }

    /// The tokens the store holds for `accounts` (access tokens, and KIS approval keys), expired ones included.
    public func stored(for accounts: [BrokerAccount]) async throws -> [StoredTokenInfo] {
        var found: [StoredTokenInfo] = []
        for account in accounts {
            for kind in account.provider == .kis ? [TokenKind.access, .approval] : [.access] {
                let key = TokenKey(account, kind: kind)
                if let token = try await loadStored(key) { found.append(Self.info(key, token)) }
            }
        }
        return found
    }

    /// Revokes the stored token of `kind` at the broker (KIS `/oauth2/revokeP`, Kiwoom `/oauth2/revoke`; an
    /// approval key has no revocation and is only forgotten) and removes it from the store and this process.
    /// Returns what was revoked, nil when nothing was stored. A hub still holding it in memory meets the
    /// broker's "invalid token" answer and issues a new one once.
    public func revoke(_ account: BrokerAccount, kind: TokenKind = .access) async throws -> StoredTokenInfo? {
        let key = TokenKey(account, kind: kind)
        guard let sealed = try await store.load(key) else { return nil }
        let value = try cipher.open(sealed.ciphertext)
        if kind == .access {
            guard let client = clients[account.provider] else {
                throw BrokerHubError(.invalidConfiguration, "no client for \(account.provider.rawValue)")
            }
            try await client.revokeToken(value, for: account)
        }
        try await store.remove(key, ifMatching: sealed)
        cache[key] = nil
        invalidated[key] = value
        Counter(label: "brokerhub_tokens_revoked_total", dimensions: [("provider", account.provider.rawValue), ("kind", kind.rawValue)]).increment()
        logger.notice("token revoked", metadata: ["token.key": "\(key)"])
        return Self.info(key, IssuedToken(value: value, expiresAt: sealed.expiresAt, issuedAt: sealed.issuedAt))
    }

    private static func info(_ key: TokenKey, _ token: IssuedToken) -> StoredTokenInfo {
        let digest = SHA256.hash(data: Data(token.value.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return StoredTokenInfo(key: key, issuedAt: token.issuedAt, expiresAt: token.expiresAt, fingerprint: digest)
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
        if let running = inFlight[key], !running.isAbandoned { return try await running.value() }
        let issuance = SharedTask { try await self.issueWithRetries(key, account: account) }
        inFlight[key] = issuance
        defer { if inFlight[key] === issuance { inFlight[key] = nil } }
        do {
            let token = try await issuance.value()
            cache[key] = token
            issueFailures[key.provider] = nil
            return token
        } catch {
            if !(error is CancellationError) {
                let message = (error as? BrokerHubError).map { "\($0.code): \($0.message)" } ?? "\(error)"
                issueFailures[key.provider] = IssueFailure(at: clock.now, kind: key.kind, message: String(message.prefix(300)))
            }
            throw error
        }
    }

    /// Issues `key`'s token under the store's issuance lock, so that across every process sharing the store
    /// only one asks the broker. A caller that finds the lock held waits for the token its holder saves — or
    /// takes the lock when it comes free (a dead holder's lock expires after `issueLockTTL`).
    private func issueWithRetries(_ key: TokenKey, account: BrokerAccount) async throws -> IssuedToken {
        guard let client = clients[account.provider] else {
            throw BrokerHubError(.invalidConfiguration, "no client for \(account.provider.rawValue)")
        }
        var attempts = Attempts(delay: policy.retryDelay)
        while true {
            let lock: TokenLock
            switch try await lockOrToken(key) {
            case .issuedElsewhere(let token): return token
            case .locked(let held): lock = held
            }
            do {
                let token = try await issue(holding: lock, client: client, account: account, attempts: &attempts)
                await release(lock)
                if let token { return token }
                // The lock was lost during a retry wait: another process issues now; wait for its token.
            } catch {
                await release(lock)
                throw error
            }
        }
    }

    private struct Attempts {
        var count = 0
        var delay: Duration
    }

    private enum LockOutcome {
        case locked(TokenLock)
        case issuedElsewhere(IssuedToken)
    }

    /// The issuance lock, or the token another process saved while it held the lock.
    private func lockOrToken(_ key: TokenKey) async throws -> LockOutcome {
        var contended = false
        while true {
            if let lock = try await store.acquireIssueLock(key, ttl: policy.issueLockTTL) { return .locked(lock) }
            if !contended {
                contended = true
                Counter(label: "brokerhub_token_lock_contention_total", dimensions: [("provider", key.provider.rawValue)]).increment()
                logger.debug("another process is issuing this token; waiting for it", metadata: ["token.key": "\(key)"])
            }
            try await clock.sleep(for: policy.lockPollInterval)
            if let stored = try await usableStored(key) { return .issuedElsewhere(stored) }
        }
    }

    /// Asks the broker (with bounded retries) while holding `lock`; nil when the lock was lost meanwhile.
    private func issue(
        holding lock: TokenLock, client: any BrokerClient, account: BrokerAccount, attempts: inout Attempts
    ) async throws -> IssuedToken? {
        let key = lock.key
        // Another process may have saved a token between our last look and the grant.
        if !lock.isProcessLocal, let stored = try await usableStored(key) { return stored }
        while true {
            attempts.count += 1
            do {
                if key.kind == .approval { try await paceApprovalRequest(key) }
                // Not cut short by a cancellation (a shutdown ending the wait): a request the broker may have
                // answered already finishes and its token is saved — asking again within the minute would meet
                // EGW00133 in the next process.
                let attempt = attempts.count
                return try await Task { try await self.requestAndSave(lock, client: client, account: account, attempt: attempt) }.value
            } catch let error as BrokerHubError {
                let category = error.failure?.category
                guard attempts.count < policy.maxAttempts, let category, category.isRetryable else { throw error }
                let wait = category == .tokenIssueTooFrequent ? policy.tooFrequentWait : attempts.delay
                logger.warning("token issue failed; retrying", metadata: [
                    "token.key": "\(key)", "broker.code": "\(error.failure?.code ?? "-")", "retry.wait_s": "\(wait.timeInterval)",
                ])
                // Keep the lock through the wait (EGW00133: 61 s), so that no other process asks meanwhile, and
                // look for a token another process saved meanwhile (one it issued while the store was down).
                if !lock.isProcessLocal, try await !store.extendIssueLock(lock, ttl: wait + policy.issueLockTTL) { return nil }
                if let stored = try await waitForStoredToken(key, lock: lock, for: wait) { return stored }
                attempts.delay = attempts.delay * 2
                if !lock.isProcessLocal, try await !store.extendIssueLock(lock, ttl: policy.issueLockTTL) { return nil }
            }
        }
    }

    /// Asks the broker for `lock.key`'s token and saves it (fenced by `lock`); kept in memory when the store is down.
    private func requestAndSave(_ lock: TokenLock, client: any BrokerClient, account: BrokerAccount, attempt: Int) async throws -> IssuedToken {
        let key = lock.key
        let token = key.kind == .access ? try await client.issueToken(for: account) : try await client.approvalKey(for: account)
        let sealed = SealedToken(ciphertext: try cipher.seal(token.value), issuedAt: token.issuedAt, expiresAt: token.expiresAt)
        // From here on the broker counts this token as issued: whatever the store does, it is used.
        do {
            if try await !store.save(sealed, for: key, fencedBy: lock) {
                // The lock expired and a later holder took it: the store keeps that holder's token. This
                // one is still valid with the broker, so the callers waiting here use it.
                logger.warning("token issued but not stored: the issuance lock was lost", metadata: [
                    "token.key": "\(key)", "token.fencing": "\(lock.fencing)",
                ])
            }
        } catch {
            unsaved[key] = sealed
            nextSaveAttempt = clock.now.addingTimeInterval(1)
            Counter(label: "brokerhub_token_save_deferred_total", dimensions: [("provider", key.provider.rawValue)]).increment()
            logger.warning("token issued but the store is unavailable: used from memory, saved when it returns", metadata: [
                "token.key": "\(key)", "error.message": "\(error)",
            ])
        }
        if key.kind == .approval { approvalKeysIssued[account.provider, default: 0] += 1 } else { issued[account.provider, default: 0] += 1 }
        Counter(label: "brokerhub_tokens_issued_total", dimensions: [("provider", account.provider.rawValue), ("kind", key.kind.rawValue)]).increment()
        logger.info("token issued", metadata: [
            "token.key": "\(key)", "token.expires_at": "\(KST.iso8601(token.expiresAt))", "token.attempt": "\(attempt)",
        ])
        return token
    }

    /// Waits until `approvalIssueInterval` has passed since the last approval-key request for the same app key,
    /// then records this one: a retry or a re-issue after a refused key never asks the broker faster.
    private func paceApprovalRequest(_ key: TokenKey) async throws {
        let appKey = "\(key.provider.rawValue)|\(key.appKey)"
        // A loop: another key of the same app key may have asked while this one slept (actor reentrancy).
        while let last = lastApprovalRequest[appKey], case let due = last.addingTimeInterval(policy.approvalIssueInterval.timeInterval), clock.now < due {
            try await clock.sleep(until: due)
        }
        lastApprovalRequest[appKey] = clock.now
    }

    /// Sleeps `duration`, looking at the store every second: the token another process saved meanwhile, or nil.
    private func waitForStoredToken(_ key: TokenKey, lock: TokenLock, for duration: Duration) async throws -> IssuedToken? {
        let end = clock.now.addingTimeInterval(duration.timeInterval)
        while clock.now < end {
            try await clock.sleep(until: min(end, clock.now.addingTimeInterval(1)))
            if !lock.isProcessLocal, let stored = try? await usableStored(key) { return stored }
        }
        return nil
    }

    /// Saves the tokens issued while the store was down (at most one attempt a second). A token stored
    /// meanwhile by another process that is at least as new wins; ours is dropped from the list.
    private func saveUnsaved() async {
        let now = clock.now
        guard now >= nextSaveAttempt else { return }
        nextSaveAttempt = now.addingTimeInterval(1)
        for (key, sealed) in unsaved {
            do {
                if let stored = try await store.load(key), stored.issuedAt >= sealed.issuedAt, stored.expiresAt > now {
                    unsaved[key] = nil
                    continue
                }
                try await store.save(sealed, for: key)
                unsaved[key] = nil
                logger.notice("token saved now that the store is back", metadata: ["token.key": "\(key)"])
            } catch {
                return  // still down: the next call tries again
            }
        }
    }

    /// The stored token when another caller may take it: not the one invalidated here, and fresh.
    private func usableStored(_ key: TokenKey) async throws -> IssuedToken? {
        guard let stored = try await loadStored(key), stored.value != invalidated[key], fresh(stored, clock.now) else { return nil }
        return stored
    }

    private func release(_ lock: TokenLock) async {
        guard !lock.isProcessLocal else { return }
        do {
            try await store.releaseIssueLock(lock)
        } catch {
            // It expires on its own after `issueLockTTL`.
            logger.warning("token issuance lock not released", metadata: ["token.key": "\(lock.key)", "error.message": "\(error)"])
        }
    }
}
