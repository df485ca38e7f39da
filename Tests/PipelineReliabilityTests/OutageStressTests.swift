import Foundation
import ProcessTestSupport
import Testing

/// Issue #19, the outage stress set, as real processes: after every event progress resumes within seconds;
/// at the end what was published is stored exactly once, and every process stops promptly on SIGTERM
/// (`ServerProcess.stop` records an issue when one needs SIGKILL). `scripts/stress.sh` runs the set N times.
@Suite(
    "Outage stress (real processes)", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: PipelineRig.isAvailable, "needs BROKERHUB_TEST_REDIS_URL and BROKERHUB_TEST_POSTGRES_URL (scripts/test.sh starts both)")
)
struct OutageStressTests {
    /// Rows stored so far by the ledger's count (-1 when unreadable).
    private static func stored(_ rig: PipelineRig) async -> Int64 { (try? await rig.ledger().stored) ?? -1 }

    /// Waits until more rows than `before` are stored: progress resumed.
    private static func expectProgress(_ rig: PipelineRig, _ processes: PipelineProcesses, after before: Int64, _ event: String, within seconds: Double = 30) async throws {
        let started = Date()
        try await waitUntil("rows stored after \(event)", timeout: seconds) { await stored(rig) > before }
        if await stored(rig) <= before { Issue.record("no progress after \(event): \(processes.archiver?.diagnosis() ?? "")") }
        print("stress: \(event): progress resumed after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// Stops the collector, waits for the drain and checks stored == published, each row once.
    private static func expectEverythingStoredOnce(_ rig: PipelineRig, _ processes: PipelineProcesses, _ what: String) async throws {
        await processes.collector?.stop()
        let ledger = try await rig.waitForDrain(timeout: 180)
        let counts = try await rig.tickCounts()
        print("stress: \(what): published \(ledger.published), stored \(ledger.stored), rows \(counts.rows), distinct \(counts.distinct)")
        #expect(ledger.status == 0, "ledger status: \(ledger.output.suffix(1500))\n\(ledger.status == 0 ? "" : processes.archiver?.diagnosis() ?? "")")
        #expect(ledger.published > 0 && ledger.stored == ledger.published)
        #expect(counts.rows == counts.distinct && counts.rows == ledger.stored)
    }

    @Test("PostgreSQL stopped and started 5 times while streaming: /ready reports each stall, nothing is lost")
    func postgresStoppedAndStartedFiveTimes() async throws {
        let services = try await PrivateServices.start()
        try await PipelineRig.run("pg5", services: services, archiverOptions: ["--http-port", "0", "--stall-seconds", "3"]) { rig, processes in
            let ready = rig.archiverURL + "/ready"
            try await waitUntil("rows stored", timeout: 60) { await Self.stored(rig) > 1_000 }
            #expect(try await Web.get(ready).status == 200)
            for round in 1...5 {
                #expect(try await services.postgres("stop") == 0)
                try await Task.sleep(for: .seconds(5))
                let during = try await Web.get(ready)
                #expect(during.status == 503, "round \(round): /ready while PostgreSQL is down: \(during.status) \(during.text)")
                #expect(processes.archiver?.isRunning == true)
                let before = await Self.stored(rig)
                #expect(try await services.postgres("start") == 0)
                try await Self.expectProgress(rig, processes, after: before, "PostgreSQL restart \(round)")
                try await waitUntil("/ready again after round \(round)", timeout: 30) { (try? await Web.get(ready).status) == 200 }
            }
            #expect(processes.archiver?.output.contains("archiver stalled") == true, "the stall was alerted")
            try await Self.expectEverythingStoredOnce(rig, processes, "5 PostgreSQL restarts")
        }
        await services.stop()
    }

    @Test("the bus's Redis restarted 5 times while streaming: the archiver resumes each time, nothing is lost")
    func busRedisRestartedFiveTimes() async throws {
        let redis = try await RedisServerProcess.start()
        try await withCleanup({ await redis.stop() }) { () async throws in
            try await PipelineRig.run("redis5", redisURL: redis.url) { rig, processes in
                try await waitUntil("rows stored", timeout: 60) { await Self.stored(rig) > 1_000 }
                for round in 1...5 {
                    await redis.stop()
                    try await Task.sleep(for: .seconds(3))
                    try await redis.launch()
                    let before = await Self.stored(rig)
                    try await Self.expectProgress(rig, processes, after: before, "Redis restart \(round)")
                    #expect(processes.archiver?.isRunning == true && processes.collector?.isRunning == true)
                }
                try await Self.expectEverythingStoredOnce(rig, processes, "5 Redis restarts")
            }
        }
    }

    @Test("two archivers read and acknowledge the same streams concurrently for 40 s: each event stored once")
    func concurrentReadsAndAcknowledgements() async throws {
        try await PipelineRig.run("readack") { rig, processes in
            let second = try await rig.startArchiver(consumer: "archiver-2")
            try await withCleanup({ await second.stop() }) { () async throws in
                var last = await Self.stored(rig)
                for _ in 0..<8 {
                    try await Task.sleep(for: .seconds(5))
                    let now = await Self.stored(rig)
                    #expect(now > last, "both archivers keep committing (\(last) → \(now))")
                    last = now
                }
                #expect(second.isRunning)
                try await Self.expectEverythingStoredOnce(rig, processes, "two concurrent archivers")
            }
        }
    }

    @Test("TCP connections to Redis and PostgreSQL cut and black-holed through a proxy: every event stored once")
    func tcpCutsThroughAProxy() async throws {
        let redisText = try #require(PipelineRig.redisURL), postgresText = try #require(PipelineRig.postgresURL)
        let redisTarget = try #require(URLComponents(string: redisText))
        let postgresTarget = try #require(URLComponents(string: postgresText))
        let redisProxy = try await TCPProxy(targetHost: "127.0.0.1", targetPort: redisTarget.port ?? 6379)
        let postgresProxy = try await TCPProxy(targetHost: "127.0.0.1", targetPort: postgresTarget.port ?? 5432)
        var proxiedPostgres = postgresTarget
        proxiedPostgres.port = postgresProxy.port
        let redisURL = "redis://127.0.0.1:\(redisProxy.port)\(redisTarget.path)"
        try await withCleanup({
            try? await redisProxy.shutdown()
            try? await postgresProxy.shutdown()
        }) { () async throws in
            try await PipelineRig.run("tcpcut", redisURL: redisURL, postgresURL: proxiedPostgres.string, sinkOptions: "&timeout=3") { rig, processes in
                try await waitUntil("rows stored", timeout: 60) { await Self.stored(rig) > 1_000 }
                let events: [(String, () async throws -> Void)] = [
                    ("PostgreSQL connections dropped", { await postgresProxy.drop() }),
                    ("Redis connections dropped", { await redisProxy.drop() }),
                    ("PostgreSQL black-holed 8 s", {
                        postgresProxy.blackhole(true)
                        try await Task.sleep(for: .seconds(8))
                        postgresProxy.blackhole(false)
                        await postgresProxy.drop()
                    }),
                    ("Redis black-holed 8 s", {
                        redisProxy.blackhole(true)
                        try await Task.sleep(for: .seconds(8))
                        redisProxy.blackhole(false)
                        await redisProxy.drop()
                    }),
                    ("both cut for 4 s", {
                        try await redisProxy.cut()
                        try await postgresProxy.cut()
                        try await Task.sleep(for: .seconds(4))
                        try await redisProxy.restore()
                        try await postgresProxy.restore()
                    }),
                ]
                for (name, event) in events {
                    try await event()
                    let before = await Self.stored(rig)
                    try await Self.expectProgress(rig, processes, after: before, name, within: 45)
                    #expect(processes.archiver?.isRunning == true && processes.collector?.isRunning == true)
                }
                try await Self.expectEverythingStoredOnce(rig, processes, "TCP cuts")
            }
        }
    }
}
