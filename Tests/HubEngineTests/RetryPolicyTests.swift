import BrokerCore
import Foundation
import HubEngine
import Testing

@Suite("RetryPolicy", .timeLimit(.minutes(5)))
struct RetryPolicyTests {
    @Test("never retries permanent, not-found or too-frequent token answers", arguments: [
        BrokerErrorCategory.permanent, .notFound, .tokenIssueTooFrequent,
    ])
    func noRetry(category: BrokerErrorCategory) {
        let policy = RetryPolicy()
        for attempt in 1...3 {
            for random in [0.0, 0.5, 0.999] {
                #expect(policy.delay(after: attempt, category: category, random: random) == nil)
            }
        }
    }

    @Test("token expiry or invalidity retries at once (after re-issue)", arguments: [BrokerErrorCategory.tokenExpired, .tokenInvalid])
    func tokenRetryIsImmediate(category: BrokerErrorCategory) {
        let policy = RetryPolicy()
        #expect(policy.delay(after: 1, category: category, random: 0.7) == .zero)
        #expect(policy.delay(after: policy.maxAttempts, category: category, random: 0.7) == nil)
    }

    @Test("rate-limited answers wait the configured pause")
    func rateLimited() {
        var policy = RetryPolicy()
        policy.rateLimitedDelay = .milliseconds(750)
        #expect(policy.delay(after: 1, category: .rateLimited, random: 0) == .milliseconds(750))
        #expect(policy.delay(after: 2, category: .rateLimited, random: 0.99) == .milliseconds(750))
    }

    @Test("attempts are bounded by maxAttempts for every retryable category")
    func boundedAttempts() {
        var policy = RetryPolicy()
        policy.maxAttempts = 3
        for category in BrokerErrorCategory.allCases where category.isRetryable && category != .tokenIssueTooFrequent {
            #expect(policy.delay(after: 1, category: category, random: 0.5) != nil, "\(category)")
            #expect(policy.delay(after: 2, category: category, random: 0.5) != nil, "\(category)")
            #expect(policy.delay(after: 3, category: category, random: 0.5) == nil, "\(category)")
            #expect(policy.delay(after: 10, category: category, random: 0.5) == nil, "\(category)")
        }
        policy.maxAttempts = 1
        #expect(policy.delay(after: 1, category: .transient, random: 0.5) == nil)
    }

    @Test("transient backoff grows exponentially up to maxDelay")
    func backoffGrows() {
        var policy = RetryPolicy()
        policy.maxAttempts = 40
        policy.baseDelay = .milliseconds(100)
        policy.maxDelay = .seconds(2)
        let ceilings = (1..<40).map { policy.delay(after: $0, category: .transient, random: 0.999_999)!.timeInterval }
        // 0.1, 0.2, 0.4, 0.8, 1.6, then capped at 2 s (times the random factor).
        for (index, expected) in [0.1, 0.2, 0.4, 0.8, 1.6].enumerated() {
            #expect(abs(ceilings[index] - expected) < 1e-5, "attempt \(index + 1): \(ceilings[index])")
        }
        for pair in zip(ceilings, ceilings.dropFirst()) { #expect(pair.1 >= pair.0) }
        for value in ceilings { #expect(value <= 2.0 + 1e-9) }
        #expect(ceilings.last! > 1.99)
    }

    @Test("full jitter stays within [base/2, ceiling] and follows `random`")
    func jitterRange() {
        var policy = RetryPolicy()
        policy.maxAttempts = 10
        policy.baseDelay = .milliseconds(200)
        policy.maxDelay = .seconds(5)
        for attempt in 1..<10 {
            let ceiling = min(5.0, 0.2 * pow(2.0, Double(attempt - 1)))
            var previous = -1.0
            for step in 0..<20 {
                let random = Double(step) / 20
                let delay = policy.delay(after: attempt, category: .transient, random: random)!.timeInterval
                #expect(delay >= 0.1 - 1e-9)
                #expect(delay <= ceiling + 1e-9)
                #expect(delay >= previous, "monotonic in random")
                previous = delay
            }
        }
        // random 0 gives the floor of half the base.
        #expect(policy.delay(after: 3, category: .transient, random: 0) == .milliseconds(100))
        #expect(policy.delay(after: 3, category: .transient, random: 0.5) == .milliseconds(400))
    }

    @Test("deterministic given `random`")
    func deterministic() {
        let policy = RetryPolicy()
        for attempt in 1..<policy.maxAttempts {
            for random in [0.0, 0.13, 0.5, 0.87, 0.999] {
                let first = policy.delay(after: attempt, category: .transient, random: random)
                let second = policy.delay(after: attempt, category: .transient, random: random)
                #expect(first == second)
                #expect(first != nil)
            }
        }
    }

    @Test("huge attempt numbers neither overflow nor exceed maxDelay")
    func noOverflow() {
        var policy = RetryPolicy()
        policy.maxAttempts = .max
        let delay = policy.delay(after: 10_000, category: .transient, random: 0.999)
        #expect(delay != nil)
        #expect(delay! <= policy.maxDelay)
    }
}
