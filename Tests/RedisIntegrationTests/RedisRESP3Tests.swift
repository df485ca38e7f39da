import RedisClient
import RedisWire
import Testing

@Suite(
    "RedisClient on RESP3 (HELLO 3, shared Redis)", .timeLimit(.minutes(5)),
    // Needs the redis-server that scripts/test.sh starts; skipped when the variable is absent.
    .enabled(if: RedisTestEnvironment.url != nil, "BROKERHUB_TEST_REDIS_URL is not set: run scripts/test.sh, which starts Redis")
)
struct RedisRESP3Tests {
    @Test("maps, doubles, Pub/Sub pushes and stream replies decode on RESP3")
    func resp3() async throws {
        let client = try RedisTestEnvironment.client { $0.useRESP3 = true }
        let p = RedisTestEnvironment.prefix("resp3")
        _ = try await client.send("HSET", .key(p, "h"), "a", "1", "b", "2")
        let hash = try await client.send("HGETALL", .key(p, "h"))
        guard case .map = hash else {
            Issue.record("HGETALL on RESP3 should be a map, got \(hash)")
            return
        }
        #expect(Set(hash.pairs?.compactMap { $0.key.string } ?? []) == ["a", "b"])
        #expect(try await client.send("INCRBYFLOAT", .key(p, "f"), "1.5").string == "1.5")
        #expect(try await client.send("ZADD", .key(p, "z"), "1", "m").int == 1)
        #expect(try await client.send("ZSCORE", .key(p, "z"), "m") == .double(1))

        let subscription = try await client.subscribe(channels: [p + "c"])
        #expect(try await client.send("PUBLISH", .key(p, "c"), "hi").int == 1)
        for await message in subscription {
            #expect(message == RedisPubSubMessage(channel: p + "c", payload: Array("hi".utf8)))
            break
        }
        subscription.cancel()

        try await client.xgroupCreate(p + "s", group: "g", id: "0")
        let id = try await client.xadd(p + "s", fields: [("k", [1, 2])])
        let entries = try await client.xreadgroup(group: "g", consumer: "c", streams: [(p + "s", ">")])
        #expect(entries.map(\.id) == [id])
        #expect(entries.first?["k"] == [1, 2])
        #expect(try await client.xpendingSummary(p + "s", group: "g").consumers == ["c": 1])

        _ = try await client.send("DEL", .key(p, "h"), .key(p, "f"), .key(p, "z"), .key(p, "s"))
        await client.shutdown()
    }
}
