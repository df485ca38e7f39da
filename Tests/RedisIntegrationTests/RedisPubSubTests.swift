import RedisClient
import RedisWire
import Testing

@Suite(
    "RedisClient Pub/Sub (shared Redis)", .timeLimit(.minutes(5)),
    // Needs the redis-server that scripts/test.sh starts; skipped when the variable is absent.
    .enabled(if: RedisTestEnvironment.url != nil, "BROKERHUB_TEST_REDIS_URL is not set: run scripts/test.sh, which starts Redis")
)
struct RedisPubSubTests {
    @Test("channel and pattern messages arrive with their payload; cancelling unsubscribes")
    func channelAndPattern() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("pubsub")
        let subscription = try await client.subscribe(channels: [p + "news"], patterns: [p + "ticks.*"])
        #expect(try await client.send("PUBSUB", "NUMSUB", .key(p, "news")).array?[1].int == 1)

        let payload: [UInt8] = [0, 1, 2, 13, 10, 255]
        #expect(try await client.send("PUBLISH", .key(p, "news"), .bytes(payload)).int == 1)
        #expect(try await client.send("PUBLISH", .key(p, "ticks.005930"), "tick").int == 1)
        #expect(try await client.send("PUBLISH", .key(p, "other"), "nobody").int == 0)

        var received: [RedisPubSubMessage] = []
        for await message in subscription {
            received.append(message)
            if received.count == 2 { break }
        }
        #expect(received.contains(RedisPubSubMessage(channel: p + "news", payload: payload)))
        #expect(received.contains(RedisPubSubMessage(channel: p + "ticks.005930", pattern: p + "ticks.*", payload: Array("tick".utf8))))

        subscription.cancel()
        var remaining = -1
        for _ in 0..<100 {
            remaining = Int(try await client.send("PUBSUB", "NUMSUB", .key(p, "news")).array?[1].int ?? -1)
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(remaining == 0)
        await client.shutdown()
    }

    @Test("cancelling the consuming task ends the sequence and unsubscribes")
    func cancelTask() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("pubsub-cancel")
        let subscription = try await client.subscribe(channels: [p + "c"])
        let consumer = Task {
            var count = 0
            for await _ in subscription { count += 1 }
            return count
        }
        _ = try await client.send("PUBLISH", .key(p, "c"), "one")
        try await Task.sleep(for: .milliseconds(100))
        consumer.cancel()
        #expect(await consumer.value == 1)
        var remaining = -1
        for _ in 0..<100 {
            remaining = Int(try await client.send("PUBSUB", "NUMSUB", .key(p, "c")).array?[1].int ?? -1)
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(remaining == 0)
        await client.shutdown()
    }

    @Test("subscribe without channels is rejected")
    func empty() async throws {
        let client = try RedisTestEnvironment.client()
        await #expect(throws: RedisError.self) { _ = try await client.subscribe() }
        await client.shutdown()
    }
}
