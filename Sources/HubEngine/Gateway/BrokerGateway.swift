import BrokerClients
import BrokerCore
import Foundation
import Logging
import Metrics
import Synchronization

/// Sends one task's requests to its broker: circuit breaker → rate limiter → token → send → classify →
/// retry, following pagination. Every send of every caller goes through here, so the broker sees one
/// budget and one token.
public final class BrokerGateway: Sendable {
    public struct Configuration: Sendable {
        public var limits = RateLimitPolicy()
        public var retry = RetryPolicy()
        public var breaker = CircuitBreaker.Policy()
        /// Per-send timeout (10 s by default).
        public var timeout: Duration = .seconds(10)

        public init() {}
    }

    public let accounts: [String: BrokerAccount]
    private let clients: [Provider: any BrokerClient]
    public let tokens: TokenManager
    private let limiter: any RateLimiter
    /// The limits the broker taught us (lower than the configured ones after refusals).
    public let learner: BudgetLearner
    private let configuration: Configuration
    private let clock: any HubClock
    private let logger: Logger
    private let breakers: [Provider: CircuitBreaker]
    private let random = Mutex(SystemRandomNumberGenerator())
    private let sendCounters = Mutex<[Provider: Int]>([:])
    private let recentSends = Mutex<[Provider: [Date]]>([:])
    private let history = Mutex<[Provider: SendHistory]>([:])

    public init(
        accounts: [BrokerAccount], clients: [any BrokerClient], tokens: TokenManager, limiter: any RateLimiter,
        learner: BudgetLearner? = nil, configuration: Configuration = Configuration(), clock: any HubClock = SystemClock(),
        logger: Logger = Logger(label: "brokerhub.gateway")
    ) {
        self.accounts = Dictionary(accounts.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        self.clients = Dictionary(uniqueKeysWithValues: clients.map { ($0.provider, $0) })
        self.tokens = tokens
        self.limiter = limiter
        self.learner = learner ?? BudgetLearner(clock: clock)
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        breakers = Dictionary(uniqueKeysWithValues: Provider.allCases.map {
            ($0, CircuitBreaker(name: $0.rawValue, policy: configuration.breaker, clock: clock))
        })
    }

    public func breaker(_ provider: Provider) -> CircuitBreaker { breakers[provider]! }

    /// The first account of a provider (the default for callers that do not name one).
    public func account(for provider: Provider) -> BrokerAccount? {
        accounts.values.filter { $0.provider == provider }.sorted { $0.identity < $1.identity }.first
    }

    /// Broker sends made so far per provider (retries included).
    public var sends: [Provider: Int] { sendCounters.withLock { $0 } }

    /// Sends per second to `provider` over the last `seconds` (at most 60).
    public func sendRate(_ provider: Provider, over seconds: Double = 10) -> Double {
        let horizon = clock.now.addingTimeInterval(-min(seconds, 60))
        let count = recentSends.withLock { $0[provider, default: []].reduce(0) { $0 + ($1 > horizon ? 1 : 0) } }
        return Double(count) / min(seconds, 60)
    }

    /// Sends of `provider` per `bucket` seconds over the last five minutes, oldest first (`SendHistory`).
    public func sendHistory(_ provider: Provider, bucket: Int = 5) -> [Int] {
        let now = clock.now
        return history.withLock { $0[provider, default: SendHistory()].buckets(now: now, bucket: bucket) }
    }

    /// Share of the per-second budget in force (learned or configured) used over the last `seconds` (first
    /// account of the provider).
    public func budgetUtilisation(_ provider: Provider, over seconds: Double = 10) -> Double? {
        guard let budget = keyBudget(provider) else { return nil }
        return sendRate(provider, over: seconds) / Double(budget.effective)
    }

    /// The per-second budget of the provider's first app key: configured and in force (lower once learned).
    public func keyBudget(_ provider: Provider) -> (id: String, configured: Int, effective: Int)? {
        guard let account = account(for: provider), let budget = configuration.limits.budgets(for: account, transaction: "").first else { return nil }
        return (budget.id, budget.limit, learner.effective([budget])[0].limit)
    }

    /// Runs a task to its outcome; never throws (failures are in `outcome.error`).
    public func execute(_ task: HubTask) async -> TaskOutcome {
        let started = clock.now
        var pages: [BrokerResponse] = []
        var attempts = 0
        do {
            guard let account = accounts[task.account] else {
                throw BrokerHubError(.invalidConfiguration, "no account \(task.account) is configured")
            }
            var request: BrokerRequest? = task.request
            while let current = request, pages.count < max(1, task.maxPages) {
                let response = try await send(current, account: account, deadline: task.deadline, attempts: &attempts)
                pages.append(response)
                request = clients[account.provider]?.nextPage(of: current, after: response)
            }
            return TaskOutcome(pages: pages, attempts: attempts, startedAt: started, finishedAt: clock.now)
        } catch {
            return TaskOutcome(pages: pages, attempts: attempts, startedAt: started, finishedAt: clock.now, error: Self.taskError(error))
        }
    }

    /// Sends one request with retries; returns the successful answer or throws the final error.
    public func send(_ request: BrokerRequest, account: BrokerAccount, deadline: Date?, attempts: inout Int) async throws -> BrokerResponse {
        guard let client = clients[account.provider] else {
            throw BrokerHubError(.invalidConfiguration, "no client for \(account.provider.rawValue)")
        }
        let breaker = breakers[account.provider]!
        let configuredBudgets = configuration.limits.budgets(for: account, transaction: request.transaction)
        let dimensions = [("provider", account.provider.rawValue), ("tr", request.transaction)]
        var reissued = false
        var attempt = 0
        while true {
            attempt += 1
            if let deadline, clock.now >= deadline {
                throw BrokerHubError(.deadlineExceeded, "\(request.transaction): deadline passed after \(attempt - 1) attempt(s)")
            }
            try breaker.permit()
            let budgets = learner.effective(configuredBudgets)
            let token = try await admit(account: account, budgets: budgets, breaker: breaker, deadline: deadline)
            attempts += 1
            recordSend(account.provider, dimensions: dimensions)
            let timeout = sendTimeout(deadline)
            let failure: BrokerFailure
            let response: BrokerResponse?
            do {
                let answer = try await client.send(request, account: account, token: token, timeout: timeout)
                guard let found = client.failure(in: answer) else {
                    breaker.record(success: true)
                    return answer
                }
                failure = found
                response = answer
            } catch let error as BrokerHubError where error.failure != nil {
                failure = error.failure!
                response = nil
            } catch {
                // Cancellation (or another non-broker error) says nothing about the broker's health, but a
                // half-open probe must not keep its slot forever.
                breaker.recordNeutral()
                throw error
            }
            Counter(label: "brokerhub_broker_errors_total", dimensions: [("provider", account.provider.rawValue), ("code", failure.code ?? "http_\(failure.httpStatus)")]).increment()
            if CircuitBreaker.counts(failure.category) { breaker.record(success: false) } else { breaker.recordNeutral() }
            // The limiter granted this send: a rate-limit answer means the broker's budget is lower than ours.
            if failure.category == .rateLimited { await learner.refused(configuredBudgets, failure: failure) }
            logger.debug("broker error", metadata: [
                "broker.provider": "\(account.provider.rawValue)", "broker.tr": "\(request.transaction)",
                "broker.code": "\(failure.code ?? "-")", "broker.category": "\(failure.category.rawValue)", "retry.attempt": "\(attempt)",
            ])
            if failure.category.action == .reissueTokenAndRetry {
                guard !reissued else { throw BrokerHubError.broker(failure) }
                reissued = true
                try await tokens.invalidate(token, for: account)
                continue
            }
            let random = self.random.withLock { Double.random(in: 0..<1, using: &$0) }
            guard let delay = configuration.retry.delay(after: attempt, category: failure.category, random: random) else {
                _ = response
                throw BrokerHubError.broker(failure)
            }
            if let deadline, clock.now.addingTimeInterval(delay.timeInterval) >= deadline { throw BrokerHubError.broker(failure) }
            try await clock.sleep(for: delay)
        }
    }

    /// The token, then a slot from the limiter (once granted, the send must leave at once); a failure here is
    /// neutral for the breaker.
    private func admit(account: BrokerAccount, budgets: [RateBudget], breaker: CircuitBreaker, deadline: Date?) async throws -> String {
        let waitStart = clock.now
        let token: String
        do {
            token = try await tokens.token(for: account)
            try await limiter.acquire(budgets, deadline: deadline)
        } catch {
            breaker.recordNeutral()
            throw error
        }
        Timer(label: "brokerhub_limiter_wait_seconds", dimensions: [("provider", account.provider.rawValue)])
            .recordNanoseconds(Int64(clock.now.timeIntervalSince(waitStart) * 1e9))
        return token
    }

    private func recordSend(_ provider: Provider, dimensions: [(String, String)]) {
        sendCounters.withLock { $0[provider, default: 0] += 1 }
        let sentAt = clock.now
        recentSends.withLock { recent in
            var log = recent[provider, default: []]
            log.append(sentAt)
            if let cut = log.firstIndex(where: { $0 > sentAt.addingTimeInterval(-60) }), cut > 0 { log.removeFirst(cut) }
            recent[provider] = log
        }
        history.withLock { $0[provider, default: SendHistory()].record(at: sentAt) }
        Counter(label: "brokerhub_broker_requests_total", dimensions: dimensions).increment()
    }

    private func sendTimeout(_ deadline: Date?) -> Duration {
        deadline.map { min(configuration.timeout, .milliseconds(Int64(max(0.001, $0.timeIntervalSince(clock.now)) * 1000))) } ?? configuration.timeout
    }

    /// Sends `request` exactly once — no retry, no token re-issue and resend, no cache — for orders. Returns the
    /// broker's answer whatever it says when the answer is unambiguous (accepted, or refused with a code that
    /// means it was not processed); throws `.outcomeUnknown` when the order may or may not have been taken (no
    /// answer, a timeout, a cut connection, a gateway error without a code): the caller must look at its order
    /// book before sending again.
    public func sendOnce(_ request: BrokerRequest, account: BrokerAccount, deadline: Date?) async throws -> (answer: BrokerResponse, accepted: Bool) {
        guard let client = clients[account.provider] else {
            throw BrokerHubError(.invalidConfiguration, "no client for \(account.provider.rawValue)")
        }
        let breaker = breakers[account.provider]!
        try breaker.permit()
        let configuredBudgets = configuration.limits.budgets(for: account, transaction: request.transaction)
        let token = try await admit(account: account, budgets: learner.effective(configuredBudgets), breaker: breaker, deadline: deadline)
        recordSend(account.provider, dimensions: [("provider", account.provider.rawValue), ("tr", request.transaction)])
        let answer: BrokerResponse
        do {
            answer = try await client.send(request, account: account, token: token, timeout: sendTimeout(deadline))
        } catch {
            breaker.recordNeutral()
            throw BrokerHubError(.outcomeUnknown, "\(request.transaction): the order was sent but no answer came (\(error)); check the order book before sending it again", underlying: error)
        }
        guard let failure = client.failure(in: answer) else {
            breaker.record(success: true)
            return (answer, true)
        }
        if CircuitBreaker.counts(failure.category) { breaker.record(success: false) } else { breaker.recordNeutral() }
        if failure.category == .rateLimited { await learner.refused(configuredBudgets, failure: failure) }
        if failure.category.action == .reissueTokenAndRetry { _ = try? await tokens.invalidate(token, for: account) }
        // A transient gateway answer (5xx without a code that says "not processed") is ambiguous for an order.
        if failure.category == .transient {
            throw BrokerHubError(.outcomeUnknown, "\(request.transaction): the broker answered HTTP \(failure.httpStatus) \(failure.code ?? "") — the order may or may not have been taken; check the order book before sending it again")
        }
        return (answer, false)
    }

    static func taskError(_ error: any Error) -> TaskError {
        guard let error = error as? BrokerHubError else {
            if error is CancellationError { return TaskError(code: BrokerHubError.Code.unavailable.rawValue, message: "cancelled") }
            return TaskError(code: "hub.internal", message: "\(error)")
        }
        return TaskError(
            code: error.code.rawValue, message: error.message, category: error.failure?.category.rawValue,
            brokerCode: error.failure?.code, httpStatus: error.failure?.httpStatus
        )
    }
}
