import BrokerClients
import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import Testing

/// `LocalRateLimiter` driven by a manual clock: every instant is simulated, nothing depends on wall time.
@Suite("LocalRateLimiter", .timeLimit(.minutes(5)))
struct RateLimiterTests {
    static let tolerance: TimeInterval = 1e-6

    /// Starts one acquisition in a task that returns the simulated instant at which it was granted.
    static func acquirer(
        _ limiter: LocalRateLimiter, _ budgets: [RateBudget], clock: some HubClock, deadline: Date? = nil
    ) -> Task<Date, any Error> {
        Task {
            try await limiter.acquire(budgets, deadline: deadline)
            return clock.now
        }
    }

    @Test("5/1s grants five at once; the sixth waits until exactly first + 1 s")
    func sixthWaitsForTheWindow() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        let budget = RateBudget(name: "kis:k:s", limit: 5, window: .seconds(1))
        let first = clock.now
        for _ in 0..<5 {
            try await limiter.acquire([budget], deadline: nil)
            #expect(clock.now == first)
        }
        #expect(clock.sleeperCount == 0)

        let sixth = Self.acquirer(limiter, [budget], clock: clock)
        try await eventually("the sixth acquirer sleeps") { clock.sleeperCount == 1 }
        clock.advance(by: .milliseconds(500))
        clock.advance(by: .milliseconds(499))
        // Still waiting 1 ms before the window opens.
        try await settle()
        #expect(clock.sleeperCount == 1)
        clock.advance(to: first.addingTimeInterval(1))
        let granted = try await sixth.value
        #expect(abs(granted.timeIntervalSince(first) - 1) < Self.tolerance)
    }

    @Test("the jitter allowance widens the spacing: 2/1s with 30 ms → third at +1.03 s")
    func jitterAllowanceWidensTheWindow() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .milliseconds(30), smoothing: 0)
        let budget = RateBudget(name: "b", limit: 2, window: .seconds(1))
        let first = clock.now
        try await limiter.acquire([budget], deadline: nil)
        try await limiter.acquire([budget], deadline: nil)
        let third = Self.acquirer(limiter, [budget], clock: clock)
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(to: first.addingTimeInterval(1.0))
        try await settle()
        #expect(clock.sleeperCount == 1, "1.00 s is too early with a 30 ms allowance")
        clock.advance(to: first.addingTimeInterval(1.03))
        let granted = try await third.value
        #expect(abs(granted.timeIntervalSince(first) - 1.03) < Self.tolerance)
    }

    @Test("layered per-second and per-minute budgets: the tighter one binds")
    func perSecondAndPerMinute() async throws {
        let clock = SteppedClock()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        let budgets = [
            RateBudget(name: "kis:k:s", limit: 5, window: .seconds(1)),
            RateBudget(name: "kis:k:m", limit: 8, window: .seconds(60)),
        ]
        let start = clock.now
        let grants = try await Self.drive(limiter: limiter, clock: clock, count: 12) { _ in budgets }
        let offsets = grants.map { ($0.instant.timeIntervalSince(start) * 1000).rounded() / 1000 }.sorted()
        // Five now (per second), three at +1 s (per minute then full), the next at +60 s, +60 s…
        #expect(offsets == [0, 0, 0, 0, 0, 1, 1, 1, 60, 60, 60, 60])
    }

    @Test("Kiwoom-style total and per-API-id budgets: each binds where it is tighter")
    func kiwoomTotalAndPerTransaction() async throws {
        let clock = SteppedClock()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        var limits = RateLimitPolicy()
        limits.jitterAllowance = .zero
        let policy = limits
        let account = BrokerAccount(provider: .kiwoom, appKey: "kiwoom-app-key", secret: "s", baseURL: "http://127.0.0.1:1")
        #expect(policy.budgets(for: account, transaction: "ka10081").map(\.limit) == [5, 2])

        // Three of ka10081 in a row: the per-API-id budget (2/s) binds although the total (5/s) has room.
        let sameTR = try await Self.drive(limiter: limiter, clock: clock, count: 3) { _ in policy.budgets(for: account, transaction: "ka10081") }
        let start = sameTR.map(\.instant).min()!
        #expect(sameTR.map { $0.instant.timeIntervalSince(start).rounded() } == [0, 0, 1])

        // Now at +1 s: spread over four api-ids, the total (5/s) binds though no api-id reaches 2.
        let trs = ["ka10001", "ka10079", "ka10080", "ka10001", "ka10079", "ka10080", "ka10081"]
        // One caller at a time, in order, all at the same instant.
        let mixed = try await Self.drive(limiter: limiter, clock: clock, count: trs.count, wave: { 1 }, pause: { 0 }) { index in
            policy.budgets(for: account, transaction: trs[index])
        }
        let offsets = mixed.sorted { $0.index < $1.index }.map { $0.instant.timeIntervalSince(start) }
        // ka10081 already has one grant at +1 s; the others: four more fit at +1 s (total 5), then +2 s.
        #expect(offsets.map { $0.rounded() } == [1, 1, 1, 1, 2, 2, 2])
        // Never more than five in any second across all api-ids.
        let all = (sameTR + mixed).map(\.instant).sorted()
        #expect(Self.maximumInAnyWindow(all, window: 1.0) <= 5)
    }

    @Test("a deadline before the next slot throws hub.deadline and consumes no slot")
    func deadlineBeforeNextSlot() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        let budget = RateBudget(name: "d", limit: 1, window: .seconds(1))
        let start = clock.now
        try await limiter.acquire([budget], deadline: nil)

        let error = await #expect(throws: BrokerHubError.self) {
            try await limiter.acquire([budget], deadline: start.addingTimeInterval(0.5))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.code.rawValue == "hub.deadline")
        #expect(clock.sleeperCount == 0, "a refused caller does not wait")

        // A deadline exactly at the slot is fine.
        let onTime = Self.acquirer(limiter, [budget], clock: clock, deadline: start.addingTimeInterval(1))
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(to: start.addingTimeInterval(1))
        let granted = try await onTime.value
        // The refused call left no trace: this one got the slot at +1 s, not +2 s.
        #expect(abs(granted.timeIntervalSince(start) - 1) < Self.tolerance)
    }

    @Test("cancellation while waiting throws CancellationError; a cancelled caller never starts")
    func cancellation() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        let budget = RateBudget(name: "c", limit: 1, window: .seconds(1))
        try await limiter.acquire([budget], deadline: nil)

        let waiting = Self.acquirer(limiter, [budget], clock: clock)
        try await eventually { clock.sleeperCount == 1 }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(clock.sleeperCount == 0)

        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limiter.acquire([budget], deadline: nil)
        }
        await #expect(throws: CancellationError.self) { try await cancelledFirst.value }
    }

    @Test("smoothing spreads an idle budget: 5/1s at 0.5 grants every 100 ms, and the window still binds")
    func smoothingSpacesSends() async throws {
        let clock = SteppedClock()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0.5)
        let budget = RateBudget(name: "s", limit: 5, window: .seconds(1))
        let start = clock.now
        let grants = try await Self.drive(limiter: limiter, clock: clock, count: 7) { _ in [budget] }
        let offsets = grants.map { ($0.instant.timeIntervalSince(start) * 1000).rounded() / 1000 }.sorted()
        #expect(offsets == [0, 0.1, 0.2, 0.3, 0.4, 1.0, 1.1])
    }

    @Test("the default limiter smooths (no burst of the whole budget at once)")
    func defaultSmoothing() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock)
        let budget = RateBudget(name: "d", limit: 20, window: .seconds(1))
        try await limiter.acquire([budget], deadline: nil)
        let second = Self.acquirer(limiter, [budget], clock: clock)
        try await eventually { clock.sleeperCount == 1 }
        second.cancel()
        _ = try? await second.value
    }

    @Test("a sender that wakes late is recorded when it really sends: later sends are spaced from that")
    func lateWakerIsReRecorded() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        let budget = RateBudget(name: "late", limit: 2, window: .seconds(1))
        let start = clock.now
        try await limiter.acquire([budget], deadline: nil)
        try await limiter.acquire([budget], deadline: nil)
        let third = Self.acquirer(limiter, [budget], clock: clock) // slot +1 s
        try await eventually { clock.sleeperCount == 1 }
        // The worker is late: it only runs at +1.5 s.
        clock.advance(to: start.addingTimeInterval(1.5))
        let thirdAt = try await third.value
        #expect(abs(thirdAt.timeIntervalSince(start) - 1.5) < Self.tolerance)
        try await limiter.acquire([budget], deadline: nil) // fits at +1.5 (window [0.5, 1.5] holds one)
        let fifth = Self.acquirer(limiter, [budget], clock: clock)
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(to: start.addingTimeInterval(2.0))
        try await settle()
        #expect(clock.sleeperCount == 1, "at +2.0 s the window since +1.5 s still holds two sends")
        clock.advance(to: start.addingTimeInterval(2.5))
        let fifthAt = try await fifth.value
        #expect(abs(fifthAt.timeIntervalSince(start) - 2.5) < Self.tolerance)
    }

    @Test("a cancelled waiter gives its slot back")
    func cancellationReleasesTheSlot() async throws {
        let clock = ManualClock.exact()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .zero, smoothing: 0)
        let budget = RateBudget(name: "r", limit: 1, window: .seconds(1))
        let start = clock.now
        try await limiter.acquire([budget], deadline: nil)
        let cancelled = Self.acquirer(limiter, [budget], clock: clock) // slot +1 s
        try await eventually { clock.sleeperCount == 1 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let next = Self.acquirer(limiter, [budget], clock: clock)
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(to: start.addingTimeInterval(1))
        let granted = try await next.value
        #expect(abs(granted.timeIntervalSince(start) - 1) < Self.tolerance, "the freed +1 s slot, not +2 s")
    }

    @Test("a budget with no sends is a configuration error")
    func zeroBudget() async throws {
        let limiter = LocalRateLimiter(clock: ManualClock.exact(), jitterAllowance: .zero, smoothing: 0)
        let error = await #expect(throws: BrokerHubError.self) {
            try await limiter.acquire([RateBudget(name: "z", limit: 0, window: .seconds(1))], deadline: nil)
        }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test(
        "property: 500 acquisitions of 20/1s (+30 ms) — never 21 in any 1.03 s window, budget kept full",
        arguments: [0 as UInt64, 1, 2], [0.0, 0.5]
    )
    func rollingWindowProperty(seed: UInt64, smoothing: Double) async throws {
        let clock = SteppedClock()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .milliseconds(30), smoothing: smoothing)
        let budget = RateBudget(name: "kis:key:s", limit: 20, window: .seconds(1))
        let start = clock.now
        // Seed 0: everyone arrives at once (full load). Others: arrivals in random waves between wake-ups.
        var random = SplitMix64(seed: seed)
        let grants = try await Self.drive(
            limiter: limiter, clock: clock, count: 500, wave: { seed == 0 ? 500 : Int(random.next() % 40) },
            pause: { Double(random.next() % 40) / 1000 }
        ) { _ in [budget] }
        let instants = grants.map(\.instant).sorted()
        #expect(instants.count == 500)
        #expect(instants.first == start)
        // No half-open window [t, t + 1.03 s) holds more than 20 grants.
        #expect(Self.maximumInAnyWindow(instants, window: 1.03) <= 20)
        let span = instants.last!.timeIntervalSince(start)
        if seed == 0 {
            // Under full load the budget stays full: 25 windows of 20, 1.03 s apart.
            #expect(span <= (500.0 / 20).rounded(.up) * 1.03 + Self.tolerance)
            #expect(span >= 24 * 1.03 - Self.tolerance)
        }
        if smoothing > 0 {
            // Smoothed: consecutive sends at least smoothing × window / limit apart.
            for (earlier, later) in zip(instants, instants.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= smoothing / 20 - Self.tolerance)
            }
        }
    }

    @Test(
        "property: senders that wake 0–10 ms late never exceed a window, always progress, and keep the budget near full",
        arguments: [3 as UInt64, 4], [0.5, 1.0]
    )
    func lateWakersProperty(seed: UInt64, smoothing: Double) async throws {
        let clock = SteppedClock()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .milliseconds(30), smoothing: smoothing)
        let budget = RateBudget(name: "late:s", limit: 20, window: .seconds(1))
        let start = clock.now
        var random = SplitMix64(seed: seed)
        // 300 callers at once; every wake-up comes 0–10 ms after its instant. A limiter that re-queues late
        // wakers behind later reservations never catches up (bounded here by maxSteps).
        let grants = try await Self.drive(
            limiter: limiter, clock: clock, count: 300, lateness: { Double(random.next() % 10_001) / 1_000_000 }, maxSteps: 3_000
        ) { _ in [budget] }
        let instants = grants.map(\.instant).sorted()
        #expect(instants.count == 300)
        #expect(Self.maximumInAnyWindow(instants, window: 1.03) <= 20)
        // Near-full: 300 sends need at least 14 windows of 1.03 s; late wakes may cost a little more.
        let span = instants.last!.timeIntervalSince(start)
        #expect(span <= 15 * 1.03 + 1.0, "took \(span) s of simulated time")
    }

    @Test("property: with layered 20/1s and 300/60s, no window of either budget is ever exceeded")
    func layeredProperty() async throws {
        let clock = SteppedClock()
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: .milliseconds(30))
        let budgets = [RateBudget(name: "s", limit: 20, window: .seconds(1)), RateBudget(name: "m", limit: 300, window: .seconds(60))]
        var random = SplitMix64(seed: 9)
        let grants = try await Self.drive(
            limiter: limiter, clock: clock, count: 400, wave: { Int(random.next() % 60) }, pause: { Double(random.next() % 100) / 1000 }
        ) { _ in budgets }
        let instants = grants.map(\.instant).sorted()
        #expect(Self.maximumInAnyWindow(instants, window: 1.03) <= 20)
        #expect(Self.maximumInAnyWindow(instants, window: 60.03) <= 300)
        // The 301st send had to wait for the minute window.
        #expect(instants[300].timeIntervalSince(instants[0]) >= 60.03 - Self.tolerance)
    }

    // MARK: - Helpers

    /// The most instants in any half-open window `[t, t + window)` (sorted input).
    static func maximumInAnyWindow(_ sorted: [Date], window: TimeInterval) -> Int {
        var best = 0
        var low = 0
        for high in sorted.indices {
            while sorted[high].timeIntervalSince(sorted[low]) >= window - tolerance { low += 1 }
            best = max(best, high - low + 1)
        }
        return best
    }

    struct Grant: Sendable {
        var index: Int
        var instant: Date
    }

    /// Runs `count` acquisitions, starting them in waves (`wave()` new callers at each step), and moves the
    /// clock exactly from one wake-up to the next — or by `pause()` seconds when that comes sooner — only once
    /// every started caller is either granted or asleep. Returns each caller's granted instant.
    static func drive(
        limiter: some RateLimiter, clock: SteppedClock, count: Int,
        wave: () -> Int = { .max }, pause: () -> TimeInterval = { .infinity }, lateness: () -> TimeInterval = { 0 },
        maxSteps: Int = 50_000,
        budgets: @escaping @Sendable (Int) -> [RateBudget]
    ) async throws -> [Grant] {
        let granted = Collected<Grant>()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            var steps = 0
            while granted.count < count {
                let batch = min(count - started, max(0, wave()))
                for index in started..<(started + batch) {
                    group.addTask {
                        try await limiter.acquire(budgets(index), deadline: nil)
                        granted.append(Grant(index: index, instant: clock.now))
                    }
                }
                started += batch
                let expected = started
                try await eventually("every caller granted or asleep") { granted.count + clock.sleeperCount == expected }
                if granted.count == count { break }
                steps += 1
                if steps > maxSteps {
                    Issue.record("no progress: \(granted.count) of \(count) granted after \(maxSteps) clock steps")
                    group.cancelAll()
                    throw HubTestFailure.timedOut("limiter made no progress")
                }
                let step = pause()
                if let wake = clock.nextWake, started == count || wake.timeIntervalSince(clock.now) <= step {
                    // A worker rarely runs exactly at its instant: `lateness` models scheduling delay.
                    clock.advance(to: wake.addingTimeInterval(max(0, lateness())))
                } else if step.isFinite {
                    clock.advance(by: .nanoseconds(Int64(step * 1e9)))
                }
            }
            try await group.waitForAll()
            return granted.all
        }
    }

    /// Lets woken or starting tasks run a little (used before asserting that something has NOT happened).
    func settle() async throws {
        for _ in 0..<20 { await Task.yield() }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A small deterministic generator for test schedules.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
