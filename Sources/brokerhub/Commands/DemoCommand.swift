import ArgumentParser
import BrokerCore
import Foundation
import HubServer
import Logging
import MockBroker
import RedisClient
import ServiceLifecycle

/// `brokerhub demo`: the mock broker, the hub on the embedded store and a realistic mixed load, all in one
/// process, with live progress and a summary. No server or real broker is needed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run BrokerHub end to end against the built-in mock broker on the embedded store.",
        discussion: """
        Starts the mock KIS + Kiwoom broker (market held open, network jitter injected) and the hub (embedded SQLite \
        in a temporary directory), then drives callers over HTTP: interactive quotes, candle ranges (served from the \
        history cache once fetched), multi-symbol snapshots, a burst of backfill jobs, and a fault burst that opens the \
        circuit and lets it close again. Ends with a summary; exits 1 if the broker saw a rate-limit violation or \
        more than one token per key.
        """
    )

    @Option(help: "Seconds of load.")
    var duration: Double = 40

    @Option(help: "Seed of the simulated market.")
    var seed: UInt64 = 20_250_908

    @Option(help: "Backfill jobs submitted in the burst.")
    var backfillJobs = 120

    @Option(help: "Run the hub in distributed mode on this Redis (redis://host:port/db) instead of the embedded store.")
    var redis: String?

    func run() async throws {
        if let redis, !RedisConfiguration.hasRedisScheme(redis) {
            throw ValidationError("--redis takes a redis://host:port/db (or redis+cluster://host:port,host:port) URL")
        }
        let runner = DemoRunner(duration: duration, seed: seed, backfillJobs: backfillJobs, redisURL: redis)
        let passed = try await runner.run()
        if !passed { throw ExitCode(1) }
    }
}
