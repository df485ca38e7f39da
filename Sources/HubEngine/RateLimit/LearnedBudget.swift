import Foundation

/// What the broker taught us about one budget: the limit the hub sends at when the broker refused sends the
/// limiter believed were inside the configured budget (KIS `EGW00201`, Kiwoom `1700`/`1701`). Pure: the
/// state and the instants in, the next state and the change out (`BudgetLearner` performs them).
///
/// Multiplicative decrease on a refusal (× `decrease` rounded up, at least 1 lower, never below 1, or the
/// limit the broker named if lower), ignoring refusals
/// within `cooldown` of the last change (sends already in flight at the old limit); additive increase by
/// `step` after every `cleanPeriod` without a refusal, never above the configured limit and, for
/// `ceilingMemory` after a refusal, never up to the limit that was refused.
public struct LearnedBudget: Sendable, Hashable, Codable {
    /// The learning rules.
    public struct Policy: Sendable, Hashable {
        /// Learn at all (off: the configured limits are used as they are).
        public var enabled = true
        /// Factor applied to the limit on a refusal (0.9: −10 %).
        public var decrease = 0.9
        /// Refusals within this long after a change are not counted against the new limit.
        public var cooldown: Duration = .seconds(2)
        /// A limit that was lowered is raised by `step` after this long without a refusal.
        public var cleanPeriod: Duration = .seconds(60)
        public var step = 1
        /// For this long after a refusal at some limit, increases stop one below it.
        public var ceilingMemory: Duration = .seconds(1800)

        public init() {}
    }

    public enum State: Sendable, Hashable, Codable {
        /// Nothing learned: the configured limit.
        case configured
        /// Sending at `limit` since `changedAt`; the broker last refused sends at `refusedLimit`, at `refusedAt`.
        case lowered(limit: Int, changedAt: Date, refusedLimit: Int, refusedAt: Date)
    }

    /// A change of the effective limit, for logs, metrics and status.
    public enum Change: Sendable, Hashable {
        case lowered(from: Int, to: Int)
        case raised(from: Int, to: Int)
        case restored(to: Int)
    }

    public var configured: Int
    public var state: State

    public init(configured: Int, state: State = .configured) {
        self.configured = configured
        self.state = state
    }

    /// The limit to send at now.
    public var limit: Int {
        switch state {
        case .configured: configured
        case .lowered(let limit, _, _, _): min(limit, configured)
        }
    }

    /// The broker refused a send at `now`. `observed` is a limit the broker named in its answer (Kiwoom's
    /// `유량=N`), when it named one.
    public mutating func refused(at now: Date, observed: Int? = nil, policy: Policy) -> Change? {
        guard policy.enabled else { return nil }
        let current = limit
        if case .lowered(_, let changedAt, _, _) = state, now.timeIntervalSince(changedAt) < policy.cooldown.timeInterval {
            return nil
        }
        // Rounded up, at least one lower: 18 → 17 → 16 → 15 …, so that the limit settles at the broker's own
        // rather than a step below it.
        var next = min(current - 1, Int((Double(current) * policy.decrease).rounded(.up)))
        if let observed, observed > 0 { next = min(next, observed) }
        next = max(1, next)
        guard next < current else { return nil }
        state = .lowered(limit: next, changedAt: now, refusedLimit: current, refusedAt: now)
        return .lowered(from: current, to: next)
    }

    /// Time has passed without a refusal: raises the limit when a clean period has gone by.
    public mutating func advance(to now: Date, policy: Policy) -> Change? {
        guard case .lowered(let limit, let changedAt, let refusedLimit, let refusedAt) = state else { return nil }
        guard policy.enabled else {
            state = .configured
            return .restored(to: configured)
        }
        guard now.timeIntervalSince(changedAt) >= policy.cleanPeriod.timeInterval else { return nil }
        let remembered = now.timeIntervalSince(refusedAt) < policy.ceilingMemory.timeInterval
        let cap = remembered ? min(configured, refusedLimit - 1) : configured
        let next = min(limit + max(1, policy.step), cap)
        guard next > limit else { return nil }
        if next >= configured {
            state = .configured
            return .restored(to: configured)
        }
        state = .lowered(limit: next, changedAt: now, refusedLimit: refusedLimit, refusedAt: refusedAt)
        return .raised(from: limit, to: next)
    }
}
