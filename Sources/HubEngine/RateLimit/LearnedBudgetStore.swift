import Synchronization

/// Where learned budgets live, by `RateBudget.id` (no app key in it): in this process (embedded mode) or in
/// Redis, shared by every hub (distributed mode). Both are proven by one behavioural suite.
public protocol LearnedBudgetStore: Sendable {
    /// Every stored budget.
    func all() async throws -> [String: LearnedBudget]
    /// Replaces the value of `id` with `change(current)` atomically — concurrent changes from other processes
    /// are never overwritten (the change is applied again to what they stored); nil removes it. Returns the
    /// stored result.
    @discardableResult
    func update(_ id: String, _ change: @Sendable (LearnedBudget?) -> LearnedBudget?) async throws -> LearnedBudget?
}

/// Learned budgets in process memory (embedded mode: one hub, relearned after a restart).
public final class InMemoryLearnedBudgetStore: LearnedBudgetStore {
    private let budgets = Mutex<[String: LearnedBudget]>([:])

    public init() {}

    public func all() async throws -> [String: LearnedBudget] { budgets.withLock { $0 } }

    public func update(_ id: String, _ change: @Sendable (LearnedBudget?) -> LearnedBudget?) async throws -> LearnedBudget? {
        budgets.withLock { budgets in
            let next = change(budgets[id])
            budgets[id] = next
            return next
        }
    }
}
