import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// The shared Redis from `scripts/test.sh`; absent only when the tests run without it.
let sharedRedisURL = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_URL"]

/// The Redis deployments the budget and lease cases run on: the single server, and the three-master Redis
/// Cluster scripts/services.sh starts beside it (`BROKERHUB_TEST_REDIS_CLUSTER_URL`).
enum RedisDeployment: String, CaseIterable, Sendable, CustomStringConvertible {
    case single
    case cluster

    var url: String? {
        switch self {
        case .single: sharedRedisURL
        case .cluster: ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_CLUSTER_URL"].flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    var description: String { rawValue }

    static var available: [RedisDeployment] { allCases.filter { $0.url != nil } }
}

/// Environment that puts a hub process in distributed mode on `redisURL`, with a key prefix of its own so
/// test runs never share state, and the token key every hub of the deployment shares.
func distributedEnvironment(redisURL: String, extra: [String: String] = [:]) -> [String: String] {
    let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
    var environment = [
        "BROKERHUB_REDIS_URL": redisURL,
        "BROKERHUB_REDIS_PREFIX": "test-\(UUID().uuidString.prefix(8).lowercased())",
        "BROKERHUB_TOKEN_KEY": Data(key).base64EncodedString(),
    ]
    for (name, value) in extra { environment[name] = value }
    return environment
}

/// Polls each job through `hub` until all are finished or `seconds` pass; returns the states.
func waitForJobs(_ ids: [String], on hub: ServerProcess, seconds: Double) async throws -> [String] {
    var states: [String] = []
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        states = []
        for id in ids {
            let answer = try? await Web.get(hub.url + "/v1/jobs/\(id)")
            states.append(answer?.json?["state"]?.stringValue ?? "unreadable(\(answer?.status ?? 0))")
        }
        if states.allSatisfy({ $0 == "succeeded" }) { break }
        try await Task.sleep(for: .milliseconds(200))
    } while Date() < deadline
    return states
}

/// Submits a quote job with an idempotency key; returns its id.
func submitJob(_ hub: ServerProcess, key: String, symbol: String = "005930") async throws -> String {
    let body = #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"\#(symbol)"},"timeout_ms":120000,"idempotency_key":"\#(key)"}"#
    let answer = try await Web.post(hub.url + "/v1/jobs", body)
    try #require(answer.status == 202, "job \(key): \(answer.status) \(answer.text)")
    return try #require(answer.json?["id"]?.stringValue)
}

@Suite("Distributed mode: several hub processes on one Redis", .serialized, .timeLimit(.minutes(5)), .enabled(if: sharedRedisURL != nil, "BROKERHUB_TEST_REDIS_URL is not set: run scripts/test.sh, which starts Redis"))
struct DistributedHubTests {
    /// The issue's acceptance test: 3 hubs, 16 callers spread over them for 30 s, broker jitter injected →
    /// no violation, one token for the whole deployment, at least 95 % of the budget used.
    @Test(arguments: RedisDeployment.available)
    func threeHubsSixteenCallersShareOneBudgetAndOneToken(redis: RedisDeployment) async throws {
        let stack = try await HubStack.start(
            mockArguments: ["--faults", "jitter"], hubEnvironment: distributedEnvironment(redisURL: redis.url!), hubCount: 3
        )
        try await withCleanup({ await stack.stop() }) { () async throws in
            let (failures, sent, elapsed) = try await stack.saturate(seconds: 30)
            let after = try await stack.mockStats()
            let utilisation = Double(sent) / (HubStack.kisRealLimit * elapsed)
            var requeued = 0
            for hub in stack.hubs {
                let metrics = try await Web.get(hub.url + "/metrics").text
                for line in metrics.split(separator: "\n") where line.hasPrefix("brokerhub_limiter_requeued_total") {
                    requeued += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
                }
            }
            print("3 hubs (\(redis)): requeued \(requeued); \(sent) sends in \(String(format: "%.1f", elapsed)) s = \(String(format: "%.1f", utilisation * 100)) % of the budget; violations \(after["rate_limit_violations"]?.intValue ?? -1); tokens \(after["tokens_issued"]?.intValue ?? -1)")
            #expect(failures.isEmpty, "\(failures.count) failures, e.g. \(failures.prefix(3))")
            #expect(after["rate_limit_violations"]?.intValue == 0)
            #expect(after["tokens_issued"]?.intValue == 1, "one token for three processes")
            #expect(utilisation >= 0.95, "utilisation \(utilisation) (\(sent) sends in \(elapsed) s)")
            #expect(utilisation <= 1.0)
        }
    }

    /// Issue #12 item 2 in distributed mode: what one hub learns from the broker's refusals every hub sends at
    /// (the learned budget lives in Redis), so together they keep within the broker's 15/s.
    @Test func twoHubsShareWhatTheyLearnAboutTheBudget() async throws {
        let stack = try await HubStack.start(
            mockArguments: ["--kis-rate", "15"], hubEnvironment: distributedEnvironment(redisURL: sharedRedisURL!), hubCount: 2
        )
        try await withCleanup({ await stack.stop() }) { () async throws in
            let learned = try await stack.learnBudget(brokerLimit: 15, learning: 12, measured: 20)
            print("2 hubs, learned budget: \(learned.learningRefusals) refusals while learning, then \(learned.refusals); \(String(format: "%.1f", learned.utilisation * 100)) % of 15/s; limits \(learned.limits)")
            #expect(learned.refusals == 0)
            #expect(learned.utilisation >= 0.9)
            #expect(Set(learned.limits).count == 1, "both hubs send at the same learned limit: \(learned.limits)")
            #expect(learned.limits.allSatisfy { (13...15).contains($0) }, "\(learned.limits)")
        }
    }

    /// A hub killed with SIGKILL while its workers hold leases: the other hubs recover and finish its tasks.
    @Test(arguments: RedisDeployment.available)
    func tasksLeasedByAKilledHubCompleteOnTheOthers(redis: RedisDeployment) async throws {
        let environment = distributedEnvironment(redisURL: redis.url!, extra: ["BROKERHUB_WORKERS": "2", "BROKERHUB_LEASE_SECONDS": "2"])
        let stack = try await HubStack.start(hubEnvironment: environment, hubCount: 3)
        try await withCleanup({ await stack.stop() }) { () async throws in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200) // token stored
            try await stack.setFaults(#"{"hang_rate":1.0,"hang_seconds":4}"#)
            var ids: [String] = []
            for index in 0..<12 { ids.append(try await submitJob(stack.hubs[index % 3], key: "kill-\(index)")) }
            try await Task.sleep(for: .milliseconds(800)) // every worker now holds a hanging task
            await stack.hubs[0].kill()
            try await stack.setFaults("{}")
            let states = try await waitForJobs(ids, on: stack.hubs[1], seconds: 60)
            #expect(states == Array(repeating: "succeeded", count: ids.count), "\(states)")
            var leasedTwice = 0
            for id in ids where (try await Web.get(stack.hubs[2].url + "/v1/jobs/\(id)").json?["leases"]?.intValue ?? 0) >= 2 { leasedTwice += 1 }
            #expect(leasedTwice >= 1, "the killed hub's tasks were leased again by the others")
            #expect(try await stack.mockStats()["tokens_issued"]?.intValue == 1)
        }
    }

    /// Redis restarted mid-run (AOF on): while it is down callers get a fast, clear 503 and `/ready` fails;
    /// the hubs recover by themselves and every job accepted before the restart completes.
    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed"))
    func noAcceptedJobIsLostAcrossARedisRestart() async throws {
        let redis = try await RedisServerProcess.start()
        try await withCleanup({ await redis.stop() }) { () async throws in
            // A worker whose completion failed while Redis was down holds its lease until it expires.
            let stack = try await HubStack.start(
                hubEnvironment: distributedEnvironment(redisURL: redis.url, extra: ["BROKERHUB_LEASE_SECONDS": "3"]), hubCount: 2
            )
            try await withCleanup({ await stack.stop() }) { () async throws in
                try await stack.setFaults(#"{"latency_ms":200}"#) // keep jobs queued across the restart
                var ids: [String] = []
                for index in 0..<40 { ids.append(try await submitJob(stack.hubs[index % 2], key: "restart-\(index)")) }
                await redis.stop()
                let started = Date()
                let refused = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote())
                let refusalSeconds = Date().timeIntervalSince(started)
                #expect(refused.status == 503, "\(refused.status) \(refused.text)")
                #expect(refused.json?["error"]?["code"]?.stringValue == "hub.unavailable")
                #expect(refusalSeconds < 3, "refused after \(refusalSeconds) s")
                #expect(try await Web.get(stack.hub.url + "/ready").status == 503)
                try await redis.launch()
                var ready = 0
                for _ in 0..<100 where ready != 200 {
                    ready = (try? await Web.get(stack.hub.url + "/ready").status) ?? 0
                    if ready != 200 { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(ready == 200, "the hub recovered by itself")
                try await stack.setFaults("{}")
                let states = try await waitForJobs(ids, on: stack.hubs[1], seconds: 60)
                // A job that failed says why (seen once in CI: every job submitted through hub 0 failed).
                var why = ""
                if let failed = zip(ids, states).first(where: { $0.1 != "succeeded" })?.0 {
                    why = (try? await Web.get(stack.hubs[1].url + "/v1/jobs/\(failed)").text) ?? ""
                }
                #expect(states == Array(repeating: "succeeded", count: ids.count), "\(states); the first that did not succeed: \(why.prefix(2_000))")
            }
        }
    }
}

extension DistributedHubTests {
    /// Issue #19's stress set, hub side: Redis restarted 5 times while two hubs take jobs. After each restart
    /// both hubs are ready again within seconds; every accepted job completes; the hubs stop on SIGTERM within
    /// their drain deadline (`HubStack.stop` records any that needs SIGKILL).
    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed"))
    func fiveRedisRestartsUnderHubLoad() async throws {
        let redis = try await RedisServerProcess.start()
        try await withCleanup({ await redis.stop() }) { () async throws in
            let environment = distributedEnvironment(redisURL: redis.url, extra: ["BROKERHUB_LEASE_SECONDS": "3"])
            try await HubStack.with(hubEnvironment: environment, hubCount: 2) { stack in
                #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200) // token stored
                try await stack.setFaults(#"{"latency_ms":100}"#)
                var ids: [String] = []
                for round in 1...5 {
                    for index in 0..<10 { ids.append(try await submitJob(stack.hubs[index % 2], key: "stress-\(round)-\(index)")) }
                    await redis.stop()
                    try await Task.sleep(for: .seconds(2))
                    try await redis.launch()
                    let started = Date()
                    for hub in stack.hubs {
                        var ready = 0
                        for _ in 0..<100 where ready != 200 {
                            ready = (try? await Web.get(hub.url + "/ready").status) ?? 0
                            if ready != 200 { try await Task.sleep(for: .milliseconds(200)) }
                        }
                        #expect(ready == 200, "round \(round): a hub did not recover by itself")
                    }
                    print("stress: Redis restart \(round) under hub load: both hubs ready after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
                }
                try await stack.setFaults("{}")
                let states = try await waitForJobs(ids, on: stack.hubs[1], seconds: 90)
                #expect(states == Array(repeating: "succeeded", count: ids.count), "\(states)")
                #expect(try await stack.mockStats()["tokens_issued"]?.intValue == 1, "the stored token survived every restart")
            }
        }
    }
}
