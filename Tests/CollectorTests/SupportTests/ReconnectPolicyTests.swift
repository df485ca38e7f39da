import Foundation
import Testing
@testable import Collector

@Suite("ReconnectPolicy", .timeLimit(.minutes(5)))
struct ReconnectPolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)
    /// No frequency caps: only the backoff shows.
    let uncapped = ReconnectPolicy.Configuration(caps: [])

    /// Calls `nextDelay` `count` times, moving time forward by each delay (plus `extra`), and returns the delays.
    func schedule(_ policy: inout ReconnectPolicy, count: Int, from start: Date, extra: TimeInterval = 0) -> [TimeInterval] {
        var now = start
        return (0..<count).map { _ in
            let delay = policy.nextDelay(now: now).timeInterval
            now = now.addingTimeInterval(delay + extra)
            return delay
        }
    }

    @Test func fullJitterStaysUnderTheExponentialCeiling() {
        var policy = ReconnectPolicy(configuration: uncapped, random: ReconnectRandom(seed: 7))
        let delays = schedule(&policy, count: 12, from: t0)
        for (attempt, delay) in delays.enumerated() {
            #expect(delay >= 0)
            #expect(delay <= min(60, pow(2, Double(attempt))) + 1e-6)
        }
        // The later delays are spread over the whole range, not stuck at the start.
        #expect(delays.suffix(6).contains { $0 > 10 })
    }

    @Test func decorrelatedJitterStaysBetweenInitialAndMax() {
        let configuration = ReconnectPolicy.Configuration(initialDelay: .seconds(1), maxDelay: .seconds(20), jitter: .decorrelated, caps: [])
        var policy = ReconnectPolicy(configuration: configuration, random: ReconnectRandom(seed: 3))
        let delays = schedule(&policy, count: 40, from: t0)
        #expect(delays.allSatisfy { $0 >= 1 - 1e-6 && $0 <= 20 + 1e-6 })
        #expect(delays.contains { $0 > 10 })
    }

    @Test func theSameSeedGivesTheSameSchedule() {
        var first = ReconnectPolicy(random: ReconnectRandom(seed: 42))
        var second = ReconnectPolicy(random: ReconnectRandom(seed: 42))
        var other = ReconnectPolicy(random: ReconnectRandom(seed: 43))
        let a = schedule(&first, count: 20, from: t0), b = schedule(&second, count: 20, from: t0)
        #expect(a == b)
        #expect(a != schedule(&other, count: 20, from: t0))
    }

    @Test func resetRestartsTheBackoff() {
        var policy = ReconnectPolicy(configuration: uncapped, random: ReconnectRandom(seed: 1))
        _ = schedule(&policy, count: 10, from: t0)
        #expect(policy.attempt == 10)
        policy.reset()
        #expect(policy.attempt == 0)
        #expect(policy.nextDelay(now: t0.addingTimeInterval(10_000)).timeInterval <= 1 + 1e-6)
    }

    @Test func theSixthConnectInAMinuteWaitsForTheFirstToLeaveTheWindow() {
        let configuration = ReconnectPolicy.Configuration(
            initialDelay: .milliseconds(1), maxDelay: .milliseconds(1),
            caps: [ReconnectPolicy.FrequencyCap(limit: 5, window: .seconds(60))]
        )
        var policy = ReconnectPolicy(configuration: configuration, random: ReconnectRandom(seed: 9))
        var now = t0
        var connects: [Date] = []
        for _ in 0..<6 {
            now = now.addingTimeInterval(policy.nextDelay(now: now).timeInterval)
            connects.append(now)
        }
        #expect(connects[4].timeIntervalSince(t0) < 1)
        #expect(connects[5].timeIntervalSince(connects[0]) > 60)
        #expect(connects[5].timeIntervalSince(connects[0]) < 60.1)
    }

    @Test func resetKeepsTheCapHistory() {
        let configuration = ReconnectPolicy.Configuration(caps: [ReconnectPolicy.FrequencyCap(limit: 2, window: .seconds(60))])
        var policy = ReconnectPolicy(configuration: configuration, random: ReconnectRandom(seed: 5))
        policy.recordConnect(at: t0)
        policy.recordConnect(at: t0.addingTimeInterval(1))
        policy.reset()
        #expect(policy.capDelay(now: t0.addingTimeInterval(2)).timeInterval > 58)
        #expect(policy.nextDelay(now: t0.addingTimeInterval(2)).timeInterval > 58)
    }

    @Test func theDefaultsCapAtFivePerMinuteAndThirtyPerHour() {
        let configuration = ReconnectPolicy.Configuration()
        #expect(configuration.initialDelay == .seconds(1))
        #expect(configuration.maxDelay == .seconds(60))
        #expect(Set(configuration.caps) == [.init(limit: 5, window: .seconds(60)), .init(limit: 30, window: .seconds(3600))])
    }

    /// Property: whatever the seed, jitter, caps, pauses between attempts and resets, no rolling window of any
    /// cap ever holds more than its limit of connects.
    @Test(arguments: 0..<40)
    func noScheduleEverExceedsTheCaps(batch: Int) {
        for seed in UInt64(batch * 10)..<UInt64(batch * 10 + 10) {
            var scenario = ReconnectRandom(seed: seed &* 0x9E37_79B9)
            let capSets: [[ReconnectPolicy.FrequencyCap]] = [
                [.init(limit: 5, window: .seconds(60)), .init(limit: 30, window: .seconds(3600))],
                [.init(limit: 1, window: .seconds(10))],
                [.init(limit: 3, window: .seconds(5)), .init(limit: 4, window: .seconds(30)), .init(limit: 10, window: .seconds(600))],
            ]
            let caps = capSets[Int(seed % 3)]
            let configuration = ReconnectPolicy.Configuration(
                initialDelay: .milliseconds(Int64(scenario.next() % 2000)),
                maxDelay: .seconds(Int64(1 + scenario.next() % 90)),
                jitter: seed % 2 == 0 ? .full : .decorrelated,
                caps: caps
            )
            var policy = ReconnectPolicy(configuration: configuration, random: ReconnectRandom(seed: seed))
            var now = t0
            var connects: [Date] = []
            if seed % 4 == 0 {
                policy.recordConnect(at: now)
                connects.append(now)
            }
            for _ in 0..<200 {
                let delay = policy.nextDelay(now: now)
                #expect(delay >= .zero)
                now = now.addingTimeInterval(delay.timeInterval)
                connects.append(now)
                // The connection lives a while (often not at all), sometimes proves healthy.
                let roll = scenario.next() % 10
                if roll < 5 { now = now.addingTimeInterval(Double(scenario.next() % 3000) / 1000) }
                if roll == 9 { now = now.addingTimeInterval(Double(scenario.next() % 600)) }
                if roll >= 7 { policy.reset() }
            }
            for cap in caps {
                let window = cap.window.timeInterval
                for (index, connect) in connects.enumerated() {
                    let inWindow = connects[...index].filter { $0 > connect.addingTimeInterval(-window) }
                    #expect(inWindow.count <= cap.limit, "seed \(seed): \(inWindow.count) connects within \(window) s")
                }
            }
        }
    }
}
