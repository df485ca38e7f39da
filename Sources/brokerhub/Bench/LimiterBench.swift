import ArgumentParser
import Foundation
import HubEngine
import HubRedis
import Logging
import RedisClient
import Synchronization

/// `brokerhub bench limiter`: acquisitions per second through the limiter with a budget that never binds —
/// the limiter's own cost (local: a lock; Redis: two script round trips per acquisition).
struct LimiterBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limiter",
        abstract: "Acquisitions/s of the local and the Redis rate limiter with a budget that never binds."
    )

    @Option(help: "Redis for the shared limiter (default: BROKERHUB_REDIS_URL or BROKERHUB_TEST_REDIS_URL; none: local only).")
    var redisURL: String?

    @Option(help: "Seconds to measure each case.")
    var seconds: Double = 3

    @Option(help: "Concurrent acquirers.")
    var concurrency: Int = 32

    @Option(help: "Budgets per acquisition (layered budgets are checked together).")
    var layers: Int = 2

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench limiter`")
        #endif
        let budgets = (0..<max(1, layers)).map { RateBudget(name: "bench:\($0)", limit: 100_000_000, window: .seconds(1)) }
        report("local", try await measure(LocalRateLimiter(jitterAllowance: .zero, smoothing: 0), budgets: budgets))

        let environment = ProcessInfo.processInfo.environment
        guard let url = redisURL ?? environment["BROKERHUB_REDIS_URL"] ?? environment["BROKERHUB_TEST_REDIS_URL"] else {
            print("redis: skipped (no --redis-url)")
            return
        }
        var logger = Logger(label: "brokerhub.bench")
        logger.logLevel = .warning
        let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
        let keyspace = RedisKeyspace(prefix: "bhbench:\(UUID().uuidString.lowercased().prefix(8))")
        let limiter = RedisRateLimiter(client: client, keyspace: keyspace, jitterAllowance: .zero, smoothing: 0)
        do {
            report("redis", try await measure(limiter, budgets: budgets))
        } catch {
            await client.shutdown()
            throw error
        }
        _ = try? await client.send([.string("DEL")] + budgets.map { .string(limiter.key(for: $0)) })
        await client.shutdown()
    }

    struct Measurement {
        var acquisitions: Int
        var elapsed: Duration
        var latencies: [Duration]
    }

    private func measure(_ limiter: some RateLimiter, budgets: [RateBudget]) async throws -> Measurement {
        try await limiter.acquire(budgets, deadline: nil) // warm-up (connections, script load)
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .milliseconds(Int64(seconds * 1000))
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    var latencies: [Duration] = []
                    while clock.now < end {
                        let began = clock.now
                        try await limiter.acquire(budgets, deadline: nil)
                        latencies.append(clock.now - began)
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [Duration]()) { $0 += $1 }
        }
        return Measurement(acquisitions: latencies.count, elapsed: clock.now - start, latencies: latencies.sorted())
    }

    private func report(_ name: String, _ measurement: Measurement) {
        let elapsed = measurement.elapsed.timeInterval
        func percentile(_ p: Double) -> Double {
            guard !measurement.latencies.isEmpty else { return 0 }
            let index = min(measurement.latencies.count - 1, Int(Double(measurement.latencies.count) * p))
            return measurement.latencies[index].timeInterval * 1_000_000
        }
        print(String(
            format: "%-6@ %10.0f acquisitions/s  p50 %7.0f µs  p99 %7.0f µs  (%d in %.2f s, %d acquirers, %d budgets each)",
            name as NSString, Double(measurement.acquisitions) / elapsed, percentile(0.5), percentile(0.99),
            measurement.acquisitions, elapsed, concurrency, layers
        ))
    }
}
