import Foundation
import ProcessTestSupport
import Testing

/// The rate limiter on a Redis of its own (`BROKERHUB_REDIS_GATEKEEPER_URL`, issue #18 item 14): its budget keys
/// live there and only there, while the queue and tokens stay on the main Redis.
@Suite("Distributed hub: separate gatekeeper Redis", .timeLimit(.minutes(3)))
struct GatekeeperTests {
    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed"))
    func theLimiterUsesItsOwnRedis() async throws {
        let main = try await RedisServerProcess.start()
        let gatekeeper = try await RedisServerProcess.start()
        try await withCleanup({ await main.stop(); await gatekeeper.stop() }) { () async throws in
            let prefix = "gk-\(UUID().uuidString.prefix(8).lowercased())"
            var environment = distributedEnvironment(redisURL: main.url, extra: ["BROKERHUB_REDIS_GATEKEEPER_URL": gatekeeper.url])
            environment["BROKERHUB_REDIS_PREFIX"] = prefix
            try await HubStack.with(hubEnvironment: environment) { stack in
                for symbol in ["005930", "000660", "035720"] {
                    let answer = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote(symbol))
                    #expect(answer.status == 200, "\(answer.text.prefix(300))")
                }
                // Every key family carries a hash tag that starts with the prefix: `{gk-…:rl}:…`, `{gk-…:queue}:…`.
                let onGatekeeper = try Self.keys(gatekeeper.url, "*\(prefix)*")
                let onMain = try Self.keys(main.url, "*\(prefix)*")
                #expect(!onGatekeeper.isEmpty && onGatekeeper.allSatisfy { $0.hasPrefix("{\(prefix):rl}:") }, "gatekeeper: \(onGatekeeper)")
                #expect(!onMain.isEmpty, "the queue and tokens are on the main Redis")
                #expect(onMain.contains { $0.hasPrefix("{\(prefix):queue}:") }, "the queue: \(onMain)")
                #expect(!onMain.contains { $0.hasPrefix("{\(prefix):rl}") }, "no budget key on the main Redis: \(onMain)")
                #expect(try await stack.mockStats()["rate_limit_violations"]?.intValue == 0)
            }
        }
    }

    /// `redis-cli --scan` of a server.
    static func keys(_ url: String, _ pattern: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-cli", "-u", url, "--scan", "--pattern", pattern]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).sorted()
    }
}
