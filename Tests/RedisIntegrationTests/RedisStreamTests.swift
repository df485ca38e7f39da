import RedisClient
import RedisWire
import Testing

@Suite(
    "RedisClient stream helpers (shared Redis)", .timeLimit(.minutes(5)),
    // Needs the redis-server that scripts/test.sh starts; skipped when the variable is absent.
    .enabled(if: RedisTestEnvironment.url != nil, "BROKERHUB_TEST_REDIS_URL is not set: run scripts/test.sh, which starts Redis")
)
struct RedisStreamTests {
    @Test("XADD, XGROUP CREATE, XREADGROUP, XPENDING, XACK, XAUTOCLAIM, XTRIM, XDEL")
    func consumerGroupLifecycle() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("stream")
        let key = p + "events"

        #expect(try await client.xgroupCreate(key, group: "archiver", id: "0") == true)
        #expect(try await client.xgroupCreate(key, group: "archiver", id: "0") == false)  // BUSYGROUP ignored

        var ids: [String] = []
        for n in 0..<5 {
            ids.append(try await client.xadd(key, fields: [("n", Array("\(n)".utf8)), ("bin", [0, 255, 13, 10])]))
        }
        #expect(try await client.xlen(key) == 5)

        let read = try await client.xreadgroup(group: "archiver", consumer: "a", streams: [(key, ">")], count: 3)
        #expect(read.map(\.id) == Array(ids.prefix(3)))
        #expect(read.allSatisfy { $0.stream == key })
        #expect(read.first?.string("n") == "0")
        #expect(read.first?["bin"] == [0, 255, 13, 10])

        let pending = try await client.xpendingSummary(key, group: "archiver")
        #expect(pending.count == 3)
        #expect(pending.smallestID == ids[0] && pending.largestID == ids[2])
        #expect(pending.consumers == ["a": 3])

        #expect(try await client.xack(key, group: "archiver", ids: [ids[0]]) == 1)
        #expect(try await client.xack(key, group: "archiver", ids: [ids[0]]) == 0)

        // Nothing new within the block time → [] (and the call returns).
        let rest = try await client.xreadgroup(group: "archiver", consumer: "a", streams: [(key, ">")], count: 10, block: .milliseconds(50))
        #expect(rest.map(\.id) == Array(ids.suffix(2)))
        let none = try await client.xreadgroup(group: "archiver", consumer: "a", streams: [(key, ">")], block: .milliseconds(50))
        #expect(none.isEmpty)

        // Deleting a pending entry: XAUTOCLAIM reports it as deleted.
        #expect(try await client.xdel(key, ids: [ids[1]]) == 1)
        try await Task.sleep(for: .milliseconds(30))
        let claimed = try await client.xautoclaim(key, group: "archiver", consumer: "b", minIdle: .milliseconds(10), start: "0-0", count: 10)
        #expect(claimed.next == "0-0")
        #expect(claimed.entries.map(\.id) == [ids[2], ids[3], ids[4]])
        #expect(claimed.deleted == [ids[1]])
        #expect(try await client.xpendingSummary(key, group: "archiver").consumers == ["b": 3])

        // Re-reading our own pending entries with id 0.
        let own = try await client.xreadgroup(group: "archiver", consumer: "b", streams: [(key, "0")])
        #expect(own.map(\.id) == [ids[2], ids[3], ids[4]])

        #expect(try await client.xtrim(key, minID: ids[3]) == 2)
        #expect(try await client.xrange(key).map(\.id) == [ids[3], ids[4]])

        let trimmedID = try await client.xadd(key, fields: [("n", Array("5".utf8))], maxLength: 1, approximateTrim: false)
        #expect(try await client.xrange(key).map(\.id) == [trimmedID])

        _ = try await client.send("DEL", .string(key))
        await client.shutdown()
    }

    @Test("XPENDING on an empty group gives zero and no IDs")
    func emptyPending() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("stream-empty")
        try await client.xgroupCreate(p + "s", group: "g")
        let summary = try await client.xpendingSummary(p + "s", group: "g")
        #expect(summary.count == 0 && summary.smallestID == nil && summary.largestID == nil && summary.consumers.isEmpty)
        _ = try await client.send("DEL", .key(p, "s"))
        await client.shutdown()
    }
}
