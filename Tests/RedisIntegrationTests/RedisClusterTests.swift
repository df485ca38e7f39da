import Foundation
import Logging
@testable import RedisClient
import RedisWire
import Testing

/// Slots, routing keys and redirections: pure, no server.
@Suite("Redis Cluster routing rules")
struct RedisClusterRoutingTests {
    @Test("slots are CRC16/XMODEM mod 16384 of the key or its hash tag (Redis's own examples)")
    func slots() {
        #expect(RedisHashSlot.slot(of: "123456789") == 0x31C3 % 16_384)
        #expect(RedisHashSlot.slot(of: "foo") == 12_182)
        #expect(RedisHashSlot.slot(of: "{user1000}.following") == RedisHashSlot.slot(of: "{user1000}.followers"))
        #expect(RedisHashSlot.slot(of: "{user1000}.following") == RedisHashSlot.slot(of: "user1000"))
        #expect(RedisHashSlot.slot(of: "foo{}{bar}") == RedisHashSlot.slot(of: "foo{}{bar}"), "an empty tag: the whole key")
        #expect(RedisHashSlot.slot(of: "foo{}{bar}") != RedisHashSlot.slot(of: "bar"))
        #expect(RedisHashSlot.slot(of: "foo{{bar}}zap") == RedisHashSlot.slot(of: "{bar"), "the tag runs to the first }")
        #expect(RedisHashSlot.slot(of: "{bh:queue}:depth") == RedisHashSlot.slot(of: "{bh:queue}:task:42"))
    }

    @Test("a command is routed by its first key; keyless commands by none")
    func routingKeys() {
        func key(_ arguments: [RESPArgument]) -> String? { RedisHashSlot.routingKey(of: arguments).map { String(decoding: $0, as: UTF8.self) } }
        #expect(key(["GET", "a"]) == "a")
        #expect(key(["EVALSHA", "abc", 2, "k1", "k2", "arg"]) == "k1")
        #expect(key(["EVALSHA", "abc", 0, "arg"]) == nil)
        #expect(key(["XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "BLOCK", 100, "STREAMS", "s", ">"]) == "s")
        #expect(key(["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"]) == "s")
        #expect(key(["XINFO", "GROUPS", "s"]) == "s")
        #expect(key(["PING"]) == nil)
        #expect(key(["SCRIPT", "LOAD", "return 1"]) == nil)
        #expect(key(["PUBLISH", "ticker.005930", "x"]) == nil)
    }

    @Test("MOVED and ASK replies are read, with an empty host meaning the node that answered")
    func redirects() {
        let node = RedisEndpoint(host: "10.0.0.9", port: 7000)
        let moved = RedisClusterRedirect(RedisError(.server, "MOVED 3999 127.0.0.1:6381"), from: node)
        #expect(moved == RedisClusterRedirect(kind: .moved, slot: 3999, endpoint: RedisEndpoint(host: "127.0.0.1", port: 6381)))
        let ask = RedisClusterRedirect(RedisError(.server, "ASK 12 :7001"), from: node)
        #expect(ask == RedisClusterRedirect(kind: .ask, slot: 12, endpoint: RedisEndpoint(host: "10.0.0.9", port: 7001)))
        #expect(RedisClusterRedirect(RedisError(.server, "ERR wrong"), from: node) == nil)
        #expect(RedisClusterRedirect(RedisError(.server, "MOVED 99999 h:1"), from: node) == nil)
        #expect(RedisClusterRedirect(RedisError(.timeout, "MOVED 1 h:1"), from: node) == nil)
    }

    @Test("CLUSTER SLOTS replies become a slot map of masters; a malformed one is refused")
    func slotMap() throws {
        func node(_ host: String, _ port: Int64) -> RESPValue { .array([.bulkString(Array(host.utf8)), .integer(port), .bulkString(Array("id".utf8))]) }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(5460), node("127.0.0.1", 7000), node("127.0.0.1", 7100)]),
            .array([.integer(5461), .integer(10922), node("", 7001)]),
            .array([.integer(10923), .integer(16383), node("127.0.0.2", 7002)]),
        ])
        let map = try RedisSlotMap(clusterSlots: reply, defaultHost: "seed")
        #expect(map.endpoint(forSlot: 0) == RedisEndpoint(host: "127.0.0.1", port: 7000))
        #expect(map.endpoint(forSlot: 5461) == RedisEndpoint(host: "seed", port: 7001))
        #expect(map.endpoint(forSlot: 16383) == RedisEndpoint(host: "127.0.0.2", port: 7002))
        #expect(map.masters.count == 3 && map.uncoveredSlots == 0)
        let partial = try RedisSlotMap(clusterSlots: .array([.array([.integer(0), .integer(99), node("h", 1)])]), defaultHost: "x")
        #expect(partial.uncoveredSlots == 16_384 - 100 && partial.endpoint(forSlot: 100) == nil)
        #expect(throws: RedisError.self) { try RedisSlotMap(clusterSlots: .array([.array([.integer(5), .integer(2), node("h", 1)])]), defaultHost: "x") }
        #expect(throws: RedisError.self) { try RedisSlotMap(clusterSlots: .integer(1), defaultHost: "x") }
    }
}

/// The client against the three-master cluster scripts/services.sh starts.
@Suite(
    "RedisClient on a Redis Cluster", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: RedisTestEnvironment.clusterURL != nil, "BROKERHUB_TEST_REDIS_CLUSTER_URL is not set: run scripts/test.sh, which starts the cluster")
)
struct RedisClusterTests {
    static func client() throws -> RedisClient { try RedisTestEnvironment.client(url: RedisTestEnvironment.clusterURL) }

    /// A plain client on each master (to look behind the cluster client's back).
    static func nodes() throws -> [RedisClient] {
        try RedisConfiguration(url: RedisTestEnvironment.clusterURL!).clusterSeeds.map {
            try RedisTestEnvironment.client(url: "redis://\($0.description)/0")
        }
    }

    @Test("keys spread over every master; each command reaches its key's master; keys and delete span them all")
    func spread() async throws {
        let client = try Self.client()
        let nodes = try Self.nodes()
        let p = RedisTestEnvironment.prefix("spread")
        for index in 0..<300 { #expect(try await client.send("SET", .key(p, "\(index)"), .int(index), "EX", 60).string == "OK") }
        for index in stride(from: 0, to: 300, by: 7) { #expect(try await client.send("GET", .key(p, "\(index)")).int == Int64(index)) }
        var held: [Int] = []
        for node in nodes { held.append(try await node.keys(matching: p + "*").count) }
        #expect(held.reduce(0, +) == 300 && held.allSatisfy { $0 > 0 }, "keys per master: \(held)")
        let keys = try await client.keys(matching: p + "*")
        #expect(keys.count == 300)
        // A pipeline across masters comes back in order.
        let replies = try await client.pipeline((0..<30).map { ["GET", .key(p, "\($0)")] })
        #expect(try replies.map { try $0.get().int } == (0..<30).map { Int64($0) })
        #expect(try await client.delete(keys) == 300)
        #expect(try await client.keys(matching: p + "*").isEmpty)
        for node in nodes { await node.shutdown() }
        await client.shutdown()
    }

    @Test("a script's keys must share a hash tag: tagged keys run, untagged ones on two slots are refused (CROSSSLOT)")
    func scriptsNeedOneSlot() async throws {
        let client = try Self.client()
        let script = RedisScript("redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return 1")
        let tag = "{" + RedisTestEnvironment.prefix("tag") + "}"
        #expect(try await client.evalScript(script, keys: [tag + "a", tag + "b"], arguments: ["v"]).int == 1)
        #expect(try await client.send("GET", .string(tag + "b")).string == "v")
        var first = "a", second = "b"
        while RedisHashSlot.slot(of: first) == RedisHashSlot.slot(of: second) { second += "b" }
        first = RedisTestEnvironment.prefix("x") + first
        await #expect(throws: RedisError.self) {
            _ = try await client.evalScript(script, keys: [first, second], arguments: ["v"])
        }
        try await client.delete([tag + "a", tag + "b"])
        await client.shutdown()
    }

    @Test("a slot being migrated answers ASK, a migrated one MOVED: the client follows both and learns the new owner")
    func followsAskAndMoved() async throws {
        let client = try Self.client()
        let nodes = try Self.nodes()
        let tag = "{" + RedisTestEnvironment.prefix("migrate") + "}"
        let slot = RedisHashSlot.slot(of: tag)
        #expect(try await client.send("SET", .string(tag + "old"), "before").string == "OK")
        // Which master holds the slot, and one that does not.
        var ids: [String] = []
        for node in nodes { ids.append(try #require(try await node.send("CLUSTER", "MYID").string)) }
        var owner = 0
        for (index, node) in nodes.enumerated() where try await node.send("CLUSTER", "COUNTKEYSINSLOT", .int(slot)).int == 1 { owner = index }
        let target = (owner + 1) % nodes.count
        let endpoints = try RedisConfiguration(url: RedisTestEnvironment.clusterURL!).clusterSeeds
        _ = try await nodes[target].send("CLUSTER", "SETSLOT", .int(slot), "IMPORTING", .string(ids[owner]))
        _ = try await nodes[owner].send("CLUSTER", "SETSLOT", .int(slot), "MIGRATING", .string(ids[target]))
        // Migrating: a key the old owner does not have is served by the importing node, after ASK.
        #expect(try await client.send("SET", .string(tag + "new"), "during").string == "OK")
        #expect(try await nodes[target].send("CLUSTER", "COUNTKEYSINSLOT", .int(slot)).int == 1, "the new key went to the importing node")
        #expect(try await client.send("GET", .string(tag + "old")).string == "before", "a key still on the old owner is served there")
        // Move the rest and give the slot to the target: the client's map is now stale and meets MOVED.
        let to = endpoints[target]
        _ = try await nodes[owner].send("MIGRATE", .string(to.host), .int(to.port), "", 0, 5000, "KEYS", .string(tag + "old"))
        for node in nodes { _ = try await node.send("CLUSTER", "SETSLOT", .int(slot), "NODE", .string(ids[target])) }
        #expect(try await client.send("GET", .string(tag + "old")).string == "before")
        #expect(try await client.send("GET", .string(tag + "new")).string == "during")
        let learned = client.cluster!.state.withLock { $0.map.endpoint(forSlot: slot) }
        #expect(learned == to, "the map follows MOVED")
        // Give it back so the cluster stays balanced for later tests.
        _ = try await nodes[owner].send("CLUSTER", "SETSLOT", .int(slot), "IMPORTING", .string(ids[target]))
        _ = try await nodes[target].send("CLUSTER", "SETSLOT", .int(slot), "MIGRATING", .string(ids[owner]))
        let home = endpoints[owner]
        _ = try await nodes[target].send("MIGRATE", .string(home.host), .int(home.port), "", 0, 5000, "KEYS", .string(tag + "old"), .string(tag + "new"))
        for node in nodes { _ = try await node.send("CLUSTER", "SETSLOT", .int(slot), "NODE", .string(ids[owner])) }
        #expect(try await client.delete([tag + "old", tag + "new"]) == 2)
        for node in nodes { await node.shutdown() }
        await client.shutdown()
    }
}
