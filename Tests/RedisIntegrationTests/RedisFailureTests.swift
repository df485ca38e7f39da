import ProcessTestSupport
import RedisClient
import RedisWire
import Testing

/// Tests that start their own `redis-server` (password, pause, kill, restart): never the shared one.
@Suite(
    "RedisClient failures (private redis-server)", .timeLimit(.minutes(5)), .serialized,
    .enabled(if: TestRedisServer.isAvailable, "redis-server is not on PATH")
)
struct RedisFailureTests {
    @Test("AUTH with the URL's password; a wrong or missing password fails with .server")
    func auth() async throws {
        let server = try await TestRedisServer.start(password: "x")
        let client = try RedisTestEnvironment.client(url: "redis://:x@127.0.0.1:\(server.port)/2")
        #expect(try await client.send("SET", "k", "v").string == "OK")
        #expect(try await client.send("CLIENT", "INFO").string?.contains("db=2") == true)
        await client.shutdown()

        let wrong = try RedisTestEnvironment.client(url: "redis://:nope@127.0.0.1:\(server.port)/0")
        do {
            _ = try await wrong.send("PING")
            Issue.record("wrong password accepted")
        } catch let error as RedisError {
            #expect(error.code == .server && error.message.hasPrefix("WRONGPASS"))
        }
        await wrong.shutdown()

        let none = try RedisTestEnvironment.client(url: "redis://127.0.0.1:\(server.port)/0")
        do {
            _ = try await none.send("GET", "k")
            Issue.record("no password accepted")
        } catch let error as RedisError {
            #expect(error.code == .server && error.message.hasPrefix("NOAUTH"))
        }
        await none.shutdown()
        await server.kill()
    }

    @Test("a command without a reply in time fails with .timeout; the client then recovers")
    func timeout() async throws {
        let server = try await TestRedisServer.start()
        let client = try RedisTestEnvironment.client(url: server.url) {
            $0.commandTimeout = .milliseconds(300)
            $0.poolSize = 1
        }
        _ = try await client.ping()
        do {
            _ = try await client.send("DEBUG", "SLEEP", "1.5")
            Issue.record("DEBUG SLEEP answered within the timeout")
        } catch let error as RedisError {
            #expect(error.code == .timeout)
        }
        // Redis is still asleep: later commands on a new connection may time out too; then it answers again.
        var recovered = false
        for _ in 0..<40 where !recovered {
            recovered = (try? await client.send("PING"))?.string == "PONG"
            if !recovered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(recovered)
        await client.shutdown()
        await server.kill()
    }

    @Test("an unreachable Redis fails fast with .unreachable, again and again")
    func unreachable() async throws {
        let port = try Loopback.freePort()
        let client = try RedisTestEnvironment.client(url: "redis://127.0.0.1:\(port)/0") {
            $0.connectTimeout = .seconds(10)
            $0.reconnectBackoff = .init(initial: .seconds(30), maximum: .seconds(30))
        }
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<20 {
            do {
                _ = try await client.send("PING")
                Issue.record("PING to a closed port succeeded")
            } catch let error as RedisError {
                #expect(error.code == .unreachable)
            }
        }
        // Generous bound: twenty refused connects or fail-fast answers, nowhere near one connect timeout.
        #expect(clock.now - start < .seconds(5))
        #expect(!client.isConnected)
        await client.shutdown()
    }

    @Test("after Redis dies and comes back on the same port, the same client recovers by itself")
    func recovery() async throws {
        let server = try await TestRedisServer.start()
        let client = try RedisTestEnvironment.client(url: server.url) {
            $0.reconnectBackoff = .init(initial: .milliseconds(50), maximum: .milliseconds(200))
        }
        let subscription = try await client.subscribe(channels: ["recovery"])
        _ = try await client.send("SET", "k", "before")
        await server.kill()

        var sawUnreachable = false
        for _ in 0..<50 where !sawUnreachable {
            do {
                _ = try await client.send("GET", "k")
            } catch let error as RedisError {
                sawUnreachable = error.code == .unreachable
                #expect(error.code == .unreachable || error.code == .closed)
            }
        }
        #expect(sawUnreachable)
        #expect(!client.isConnected)

        try await server.launch()
        var value: String?
        for _ in 0..<100 where value == nil {
            if let reply = try? await client.send("SET", "k", "after") { value = reply.string }
            if value == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(value == "OK")
        #expect(try await client.send("GET", "k").string == "after")
        #expect(client.isConnected)

        // The subscription reconnected and subscribed again by itself.
        var delivered: RedisPubSubMessage?
        let consumer = Task { () -> RedisPubSubMessage? in
            for await message in subscription { return message }
            return nil
        }
        for _ in 0..<100 {
            if try await client.send("PUBLISH", "recovery", "back").int == 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        delivered = await consumer.value
        #expect(delivered?.payloadString == "back")
        #expect(subscription.resubscribeCount >= 1)

        await client.shutdown()
        await server.kill()
    }

    @Test("SCRIPT FLUSH: EVALSHA reloads the script once and succeeds")
    func scriptFlush() async throws {
        let server = try await TestRedisServer.start()
        let client = try RedisTestEnvironment.client(url: server.url)
        let script = RedisScript("return tonumber(ARGV[1]) * 2")
        #expect(try await client.evalScript(script, keys: [], arguments: [21]).int == 42)
        _ = try await client.send("SCRIPT", "FLUSH")
        #expect(try await client.evalScript(script, keys: [], arguments: [4]).int == 8)
        // A script error is a server error, not retried.
        await #expect(throws: RedisError.self) {
            _ = try await client.evalScript(RedisScript("return redis.call('NOPE')"), keys: [], arguments: [])
        }
        await client.shutdown()
        await server.kill()
    }

    @Test("shutdown ends an open subscription")
    func shutdownEndsSubscription() async throws {
        let server = try await TestRedisServer.start()
        let client = try RedisTestEnvironment.client(url: server.url)
        let subscription = try await client.subscribe(patterns: ["*"])
        let consumer = Task {
            var count = 0
            for await _ in subscription { count += 1 }
            return count
        }
        await client.shutdown()
        #expect(await consumer.value == 0)
        await server.kill()
    }
}
