import BrokerCore
import Foundation
import HubEngine
import RedisClient
import RedisWire

/// Learned budgets in one Redis hash (`{prefix}:learned`, field: `RateBudget.id`, value: the budget as JSON),
/// shared by every hub of a deployment: what one hub learns from a refusal, all of them send at. Updates are
/// compare-and-set (a script swaps the value only if it is still the one read), retried on a conflict, so
/// two hubs that see the same refusal lower the budget once.
public final class RedisLearnedBudgetStore: LearnedBudgetStore {
    private let client: RedisClient
    private let key: String

    public init(client: RedisClient, keyspace: RedisKeyspace = RedisKeyspace()) {
        self.client = client
        key = keyspace.tag("learned")
    }

    public func all() async throws -> [String: LearnedBudget] {
        let reply = try await call { try await self.client.send(.string("HGETALL"), .string(self.key)) }
        let items = reply.array ?? []
        var budgets: [String: LearnedBudget] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            guard let id = items[index].string, let value = items[index + 1].string, let budget = Self.decode(value) else { continue }
            budgets[id] = budget
        }
        return budgets
    }

    public func update(_ id: String, _ change: @Sendable (LearnedBudget?) -> LearnedBudget?) async throws -> LearnedBudget? {
        for _ in 0..<16 {
            let read = try await call { try await self.client.send(.string("HGET"), .string(self.key), .string(id)) }.string
            let next = change(read.flatMap(Self.decode))
            let written = try next.map(Self.encode) ?? ""
            let swapped = try await call {
                try await self.client.evalScript(Self.compareAndSet, keys: [self.key], arguments: [.string(id), .string(read ?? ""), .string(written)])
            }
            if swapped.int == 1 { return next }
        }
        throw BrokerHubError(.unavailable, "learned budget \(id): too many concurrent updates")
    }

    /// KEYS[1] the hash; ARGV[1] field, ARGV[2] the value read ("" absent), ARGV[3] the new one ("" removes).
    /// Returns 1 when swapped, 0 when the field changed meanwhile.
    static let compareAndSet = RedisScript(
        """
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if not current then current = '' end
        if current ~= ARGV[2] then return 0 end
        if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
        return 1
        """
    )

    private func call(_ body: @Sendable () async throws -> RESPValue) async throws -> RESPValue {
        do {
            return try await body()
        } catch let error as RedisError {
            throw BrokerHubError(.unavailable, "the Redis learned-budget store is unavailable", underlying: error)
        }
    }

    static func encode(_ budget: LearnedBudget) throws -> String {
        String(decoding: try JSONEncoder().encode(budget), as: UTF8.self)
    }

    static func decode(_ text: String) -> LearnedBudget? {
        try? JSONDecoder().decode(LearnedBudget.self, from: Data(text.utf8))
    }
}
