import RedisClient
import RedisWire
import Testing

@Suite(
    "RedisClient commands (shared Redis)", .timeLimit(.minutes(5)),
    // Needs the redis-server that scripts/test.sh starts; skipped when the variable is absent.
    .enabled(if: RedisTestEnvironment.url != nil, "BROKERHUB_TEST_REDIS_URL is not set: run scripts/test.sh, which starts Redis")
)
struct RedisCommandTests {
    @Test("SET/GET round-trips every byte value, GET of a missing key is null")
    func binarySafe() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("bin")
        let value = (0...255).map { UInt8($0) } + Array("\r\n$-1\r\n".utf8)
        #expect(try await client.send("SET", .key(p, "k"), .bytes(value), "EX", 60).string == "OK")
        #expect(try await client.send("GET", .key(p, "k")).bytes == value)
        #expect(try await client.send("GET", .key(p, "missing")).isNull)
        #expect(try await client.send("DEL", .key(p, "k")).int == 1)
        await client.shutdown()
    }

    @Test("INCR, and a server error reply throws .server with the message")
    func incrAndErrors() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("incr")
        #expect(try await client.send("INCR", .key(p, "n")).int == 1)
        #expect(try await client.send(["INCRBY", .key(p, "n"), .int(41)]).int == 42)
        _ = try await client.send("SET", .key(p, "s"), "text")
        do {
            _ = try await client.send("INCR", .key(p, "s"))
            Issue.record("INCR on text succeeded")
        } catch let error as RedisError {
            #expect(error.code == .server)
            #expect(error.message.hasPrefix("ERR"))
        }
        // The connection is still usable after an error reply.
        #expect(try await client.send("GET", .key(p, "n")).int == 42)
        _ = try await client.send("DEL", .key(p, "n"), .key(p, "s"))
        await client.shutdown()
    }

    @Test("a pipeline of 1,000 commands answers in order; an error reply stays in its slot")
    func pipelineInOrder() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("pipe")
        var commands: [[RESPArgument]] = (0..<1000).map { _ in ["INCR", .key(p, "n")] }
        commands.insert(["HGET", .key(p, "n"), "field"], at: 500)  // WRONGTYPE
        let results = try await client.pipeline(commands)
        #expect(results.count == 1001)
        var expected: Int64 = 1
        for (index, result) in results.enumerated() {
            if index == 500 {
                guard case .failure(let error) = result else {
                    Issue.record("slot 500 should be an error")
                    continue
                }
                #expect(error.code == .server && error.message.hasPrefix("WRONGTYPE"))
                continue
            }
            #expect((try? result.get())?.int == expected, "reply \(index)")
            expected += 1
        }
        _ = try await client.send("DEL", .key(p, "n"))
        await client.shutdown()
    }

    @Test("50 concurrent tasks share the pool without mixing replies")
    func concurrentSenders() async throws {
        let client = try RedisTestEnvironment.client { $0.poolSize = 3 }
        let p = RedisTestEnvironment.prefix("conc")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<50 {
                group.addTask {
                    for round in 0..<20 {
                        let value = "task\(task)-round\(round)"
                        _ = try await client.send("SET", .key(p, "own\(task)"), .string(value))
                        let read = try await client.send("GET", .key(p, "own\(task)")).string
                        #expect(read == value)
                        _ = try await client.send("INCR", .key(p, "total"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.send("GET", .key(p, "total")).int == 1000)
        _ = try await client.send(["DEL", .key(p, "total")] + (0..<50).map { .key(p, "own\($0)") })
        #expect(client.isConnected)
        await client.shutdown()
        #expect(!client.isConnected)
    }

    @Test("EVALSHA loads the script on first use")
    func scripts() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("lua")
        let script = RedisScript("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], ARGV[2])")
        let first = try await client.evalScript(script, keys: [p + "a", p + "b"], arguments: ["v", 5])
        let second = try await client.evalScript(script, keys: [p + "a", p + "b"], arguments: ["v", 5])
        #expect(first.int == 5)
        #expect(second.int == 10)
        #expect(try await client.send("GET", .key(p, "a")).string == "v")
        _ = try await client.send("DEL", .key(p, "a"), .key(p, "b"))
        await client.shutdown()
    }

    @Test("ping measures a round trip; after shutdown calls fail with .closed")
    func pingAndShutdown() async throws {
        let client = try RedisTestEnvironment.client()
        let rtt = try await client.ping()
        #expect(rtt > .zero)
        await client.shutdown()
        await client.shutdown()
        await #expect(throws: RedisError.self) { try await client.ping() }
        do {
            _ = try await client.ping()
        } catch let error as RedisError {
            #expect(error.code == .closed)
        }
    }

    @Test("a blocking XREADGROUP does not hold up other callers")
    func blockingCommandHasItsOwnConnection() async throws {
        let client = try RedisTestEnvironment.client { $0.poolSize = 1 }
        let p = RedisTestEnvironment.prefix("block")
        try await client.xgroupCreate(p + "s", group: "g", id: "$")
        let blocked = Task {
            try await client.xreadgroup(group: "g", consumer: "c", streams: [(p + "s", ">")], count: 1, block: .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(200))
        // These would wait 30 s behind the blocked read if it shared the pooled connection.
        for _ in 0..<10 { _ = try await client.ping() }
        let id = try await client.xadd(p + "s", fields: [("f", Array("v".utf8))])
        let entries = try await blocked.value
        #expect(entries.map(\.id) == [id])
        _ = try await client.send("DEL", .key(p, "s"))
        await client.shutdown()
    }

    @Test("cancelling a blocking read ends it promptly with CancellationError")
    func cancelBlocking() async throws {
        let client = try RedisTestEnvironment.client()
        let p = RedisTestEnvironment.prefix("cancel")
        try await client.xgroupCreate(p + "s", group: "g", id: "$")
        let blocked = Task {
            try await client.xreadgroup(group: "g", consumer: "c", streams: [(p + "s", ">")], block: .seconds(60))
        }
        try await Task.sleep(for: .milliseconds(200))
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }
        #expect(try await client.ping() > .zero)
        _ = try await client.send("DEL", .key(p, "s"))
        await client.shutdown()
    }
}
