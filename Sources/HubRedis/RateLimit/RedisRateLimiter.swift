import BrokerCore
import Foundation
import HubEngine
import Logging
import Metrics
import RedisClient
import RedisWire
import Synchronization

/// The rolling-log limiter of `LocalRateLimiter`, shared through Redis by every hub process: one budget is one
/// ZSET (`{prefix}:rl:{digest of the budget name}` — names hold app keys), and each step of an acquisition is
/// one atomic Lua script over all its budgets, timed by the server's clock.
///
/// An acquisition reserves the earliest instant one more send fits every budget (the script answers how long
/// until then), sleeps that long less its lead, then commits. The lead is tuned from every commit (the
/// script answers how early or late it arrived) so that commits reach the server just before the reserved
/// instant rather than a round trip and a scheduling delay after it; it never exceeds 5 ms. The send
/// is recorded at the reserved instant or, when the caller is late, at the server's now (the instant it
/// really goes out); if it no longer fits there, the reservation is dropped and the caller reserves again.
/// Without the lead every send would be recorded a round trip late and push every later slot back by as
/// much; with it a send may leave up to the lead before its recorded instant, which the jitter allowance
/// absorbs. A caller cancelled while sleeping gives its
/// reservation back. When Redis cannot be reached, `acquire` throws
/// `.unavailable` at once: sending without the shared budget could exceed it.
public final class RedisRateLimiter: RateLimiter {
    private let client: RedisClient
    private let keyspace: RedisKeyspace
    private let jitterAllowance: Duration
    private let smoothing: Double
    private let logger: Logger
    private let sequence = Atomic<UInt64>(0)
    private let instance = UUID().uuidString.lowercased().prefix(12)
    /// How long before a reserved instant a commit is sent, in microseconds (tuned by `tune(lateness:)`).
    private let lead = Mutex<Double>(1_000)

    /// - Parameters:
    ///   - client: the limiter's own connection (the gatekeeper may live on a different server or database).
    ///   - jitterAllowance, smoothing: as for `LocalRateLimiter`.
    public init(
        client: RedisClient, keyspace: RedisKeyspace = RedisKeyspace(), jitterAllowance: Duration = .milliseconds(40),
        smoothing: Double = 1.0, logger: Logger = Logger(label: "brokerhub.limiter.redis")
    ) {
        self.client = client
        self.keyspace = keyspace
        self.jitterAllowance = jitterAllowance
        self.smoothing = max(0, min(1, smoothing))
        self.logger = logger
    }

    /// The key of a budget's log: the name only as a digest.
    public func key(for budget: RateBudget) -> String { keyspace.tag("rl") + ":" + RedisKeyspace.digest(budget.name) }

    public func acquire(_ budgets: [RateBudget], deadline: Date?) async throws {
        for budget in budgets where budget.limit <= 0 {
            throw BrokerHubError(.invalidConfiguration, "budget \(budget.name) allows no sends")
        }
        guard !budgets.isEmpty else { return }
        let keys = budgets.map(key(for:))
        let parameters = budgets.flatMap(parameters(for:))
        while true {
            try Task.checkCancellation()
            let id = "\(instance):\(sequence.add(1, ordering: .relaxed).newValue)"
            // The deadline is the caller's; only the time left until it goes to the server.
            let remaining = deadline.map { max(0, Int64(($0.timeIntervalSinceNow * 1_000_000).rounded(.down))) } ?? -1
            let (granted, delay) = try await run(RedisRateLimiterScripts.reserve, keys: keys, arguments: [.string(id), .string(String(remaining))] + parameters)
            guard granted == 1 else {
                let next = Date().addingTimeInterval(Double(delay) / 1_000_000)
                throw BrokerHubError(.deadlineExceeded, "no send slot before the deadline (next at \(KST.iso8601(next)))")
            }
            var wait = delay
            while true {
                let lead = Int64(self.lead.withLock { $0 }.rounded())
                if wait > lead { try await sleep(microseconds: wait - lead, releasing: id, keys: keys) }
                let (outcome, more) = try await run(RedisRateLimiterScripts.commit, keys: keys, arguments: [.string(id), .string(String(lead))] + parameters)
                switch outcome {
                case 1:
                    tune(lateness: more)
                    return
                case 2: wait = more
                default: wait = -1
                }
                if wait < 0 { break }
            }
            Counter(label: "brokerhub_limiter_requeued_total").increment()
        }
    }

    /// Moves the lead so that commits arrive about half a millisecond before their reserved instant: later
    /// arrivals lengthen it, earlier ones shorten it (within 0…5 ms, as the script caps it).
    private func tune(lateness microseconds: Int64) {
        let error = Double(microseconds) + 500
        lead.withLock { $0 = max(0, min(5_000, $0 + 0.25 * error)) }
    }

    private func parameters(for budget: RateBudget) -> [RESPArgument] {
        let window = Self.microseconds(budget.window)
        let gap = Int64((smoothing * Double(window) / Double(budget.limit)).rounded(.up))
        return [.string(String(budget.limit)), .string(String(window + Self.microseconds(jitterAllowance))), .string(String(gap))]
    }

    static func microseconds(_ duration: Duration) -> Int64 { Int64((duration.timeInterval * 1_000_000).rounded()) }

    /// Sleeps until the reservation's instant; when cancelled, gives the reservation back first.
    private func sleep(microseconds: Int64, releasing id: String, keys: [String]) async throws {
        do {
            try await Task.sleep(for: .microseconds(microseconds))
        } catch {
            // Not on the cancelled task: its Redis calls could be refused.
            let client = self.client
            let released = Task {
                try await client.evalScript(RedisRateLimiterScripts.release, keys: keys, arguments: [.string(id)])
            }
            if case .failure(let failure) = await released.result {
                // The reservation then just stays in the log: it costs one slot, never an excess.
                logger.warning("limiter reservation not released", metadata: ["error.message": "\(failure)"])
            }
            throw error
        }
    }

    /// Runs one script; a two-integer reply as a pair. Redis failures become `.unavailable`.
    private func run(_ script: RedisScript, keys: [String], arguments: [RESPArgument]) async throws -> (Int64, Int64) {
        let reply: RESPValue
        do {
            reply = try await client.evalScript(script, keys: keys, arguments: arguments)
        } catch let error as RedisError {
            logger.warning("redis limiter failed", metadata: ["error.message": "\(error)"])
            throw BrokerHubError(.unavailable, "the Redis rate limiter is unavailable", underlying: error)
        }
        guard let values = reply.array, values.count == 2, let first = values[0].int, let second = values[1].int else {
            throw BrokerHubError(.malformedPayload, "the Redis rate limiter answered unexpectedly")
        }
        return (first, second)
    }
}
