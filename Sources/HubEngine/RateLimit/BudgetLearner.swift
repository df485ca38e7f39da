import BrokerCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Limits that survive the broker's next change: when the broker refuses a send the limiter granted (KIS
/// `EGW00201`, Kiwoom `1700`/`1701`/`1702` or a bare 429), the budget it concerns is lowered (see
/// `LearnedBudget`), and it creeps back up after clean periods. The learned limits live in a
/// `LearnedBudgetStore` — in Redis, every hub sends at what any of them learned.
///
/// `effective(_:)` is synchronous and cheap (the hot path reads a local copy); `run()` refreshes that copy
/// from the store every `refreshInterval`, applies the increases that are due and sets the gauges.
public final class BudgetLearner: Service, Sendable {
    private let store: any LearnedBudgetStore
    private let policy: LearnedBudget.Policy
    private let clock: any HubClock
    private let logger: Logger
    private let refreshInterval: Duration
    /// The store's budgets as last seen, by id.
    private let learned = Mutex<[String: LearnedBudget]>([:])

    public init(
        store: any LearnedBudgetStore = InMemoryLearnedBudgetStore(), policy: LearnedBudget.Policy = .init(),
        clock: any HubClock = SystemClock(), refreshInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "brokerhub.budgets")
    ) {
        self.store = store
        self.policy = policy
        self.clock = clock
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// `budgets` with the learned limits in force (a learned limit is never above the configured one).
    public func effective(_ budgets: [RateBudget]) -> [RateBudget] {
        guard policy.enabled else { return budgets }
        return learned.withLock { learned in
            budgets.map { budget in
                guard let entry = learned[budget.id] else { return budget }
                var lowered = budget
                lowered.limit = min(budget.limit, LearnedBudget(configured: budget.limit, state: entry.state).limit)
                return lowered
            }
        }
    }

    /// The broker refused a send the limiter granted: lowers the budgets `failure` concerns. `budgets` are the
    /// configured ones (their limits are the ceiling of what is learned). Store failures are logged, never thrown (the send's own error is what the caller sees).
    public func refused(_ budgets: [RateBudget], failure: BrokerFailure) async {
        guard policy.enabled, failure.category == .rateLimited else { return }
        let now = clock.now
        let observed = Self.observedLimit(in: failure.message)
        let policy = self.policy
        for budget in Self.concerned(budgets, by: failure) {
            Counter(label: "brokerhub_budget_refusals_total", dimensions: [("provider", failure.provider.rawValue), ("budget", budget.id)]).increment()
            let before = effective([budget])[0].limit
            do {
                let stored = try await store.update(budget.id) { current in
                    var entry = current ?? LearnedBudget(configured: budget.limit)
                    entry.configured = budget.limit
                    _ = entry.refused(at: now, observed: observed, policy: policy)
                    return entry.state == .configured ? nil : entry
                }
                guard let stored else { continue }
                learned.withLock { $0[budget.id] = stored }
                if stored.limit < before {
                    Gauge(label: "brokerhub_budget_limit", dimensions: [("budget", budget.id)]).record(stored.limit)
                    logger.warning("broker refused sends inside the budget: limit lowered", metadata: [
                        "budget.id": "\(budget.id)", "budget.configured": "\(budget.limit)", "budget.refused_at": "\(before)",
                        "budget.limit": "\(stored.limit)", "broker.code": "\(failure.code ?? "-")",
                        "budget.observed": "\(observed.map(String.init) ?? "-")",
                    ])
                }
            } catch {
                logger.warning("learned budget not stored", metadata: ["budget.id": "\(budget.id)", "error.message": "\(error)"])
            }
        }
    }

    /// Every learned budget (status pages).
    public func snapshot() -> [String: LearnedBudget] { learned.withLock { $0 } }

    /// Refreshes from the store and applies the increases that are due, once.
    public func refresh() async {
        do {
            var current = try await store.all()
            let now = clock.now
            let policy = self.policy
            for (id, entry) in current {
                var probe = entry
                guard probe.advance(to: now, policy: policy) != nil else { continue }
                let stored = try await store.update(id) { stored in
                    guard var next = stored else { return nil }
                    _ = next.advance(to: now, policy: policy)
                    return next.state == .configured ? nil : next
                }
                current[id] = stored  // nil: back at the configured limit, no longer learned
                logger.info("learned budget raised", metadata: [
                    "budget.id": "\(id)", "budget.configured": "\(entry.configured)", "budget.limit": "\(stored?.limit ?? entry.configured)",
                ])
            }
            let snapshot = current
            for (id, entry) in snapshot { Gauge(label: "brokerhub_budget_limit", dimensions: [("budget", id)]).record(entry.limit) }
            let vanished = learned.withLock { learned -> [String: LearnedBudget] in
                let gone = learned.filter { snapshot[$0.key] == nil }
                learned = snapshot
                return gone
            }
            for (id, entry) in vanished { Gauge(label: "brokerhub_budget_limit", dimensions: [("budget", id)]).record(entry.configured) }
        } catch {
            logger.warning("learned budgets not refreshed", metadata: ["error.message": "\(error)"])
        }
    }

    public func run() async throws {
        try await runUntilShutdown {
            while !Task.isCancelled {
                await self.refresh()
                try await self.clock.sleep(for: self.refreshInterval)
            }
        }
    }

    /// The budgets a refusal concerns: KIS `EGW00201` the app key's per-second budget (`EGW00215`, a
    /// ledger-wide limit, none); Kiwoom `1701`/`1702` the app key's total, `1700` or a bare 429 the api-id's.
    static func concerned(_ budgets: [RateBudget], by failure: BrokerFailure) -> [RateBudget] {
        switch (failure.provider, failure.code) {
        case (.kis, "EGW00201"): budgets.filter { $0.scope == .key }
        case (.kis, _): []
        case (.kiwoom, "1701"), (.kiwoom, "1702"): budgets.filter { $0.scope == .key }
        case (.kiwoom, _): budgets.filter { $0.scope == .transaction }
        }
    }

    /// The limit a Kiwoom answer names (`유량=N`, `총유량=N`), when it names one.
    static func observedLimit(in message: String) -> Int? {
        guard let marker = message.range(of: "유량=") else { return nil }
        let digits = message[marker.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return Int(digits)
    }
}
