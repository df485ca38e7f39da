/// Chooses the class to serve next: strict priority, except that every class with a minimum share earns
/// that share of credit per dispatch and, once it has a whole credit and work waiting, is served first.
/// With `backfill: 0.05`, at least one dispatch in twenty goes to backfill while it has work.
public struct ShareScheduler: Sendable, Hashable {
    public var minimumShares: [Priority: Double]
    private var credits: [Priority: Double] = [:]

    public init(minimumShares: [Priority: Double] = [.snapshot: 0.10, .backfill: 0.05]) {
        self.minimumShares = minimumShares.filter { $0.value > 0 }
    }

    /// The class to serve given the classes with queued work; nil when none has.
    public mutating func choose(pending: Set<Priority>) -> Priority? {
        guard let highest = pending.min() else { return nil }
        for (priority, share) in minimumShares {
            let earned = (credits[priority] ?? 0) + share
            // Idle classes do not bank credit beyond one dispatch.
            credits[priority] = pending.contains(priority) ? earned : min(earned, 1)
        }
        let starving = minimumShares.keys
            .filter { pending.contains($0) && $0 != highest && (credits[$0] ?? 0) >= 1 - 1e-9 }
            .max() // the lowest class first: it is the one most at risk
        let chosen = starving ?? highest
        if let credit = credits[chosen] { credits[chosen] = max(0, credit - 1) }
        return chosen
    }
}
