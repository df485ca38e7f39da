import Archiver
import BrokerCore
import BrokerHubTesting
import Foundation
import ProcessTestSupport
import Realtime
import Testing

/// The archiver's backoff on a `ManualClock`: while the database is down, batches are spooled at once and the
/// database is probed exactly when the clock passes each backoff (1, 2, 4, 8 s, then the cap) — never before,
/// however long the test waits for real.
@Suite("Archiver on a manual clock", .timeLimit(.minutes(2)))
struct ArchiverClockTests {
    @Test func probesAnUnreachableDatabaseAtBackoffIntervals() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver-clock")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try makeJournalBus(directory)
        // Nothing listens on the port: every connection attempt is refused at once.
        let unreachable = PostgresSinkConfiguration(
            host: "127.0.0.1", port: try Loopback.freePort(), username: "nobody", database: "none", connectTimeout: .seconds(2)
        )
        var configuration = ArchiverConfiguration.testing
        configuration.backoffBase = .seconds(1)
        configuration.backoffCap = .seconds(8)
        let clock = ManualClock()
        let spool = try ArchiveSpool(directory: directory.appendingPathComponent("spool"))
        let running = RunningArchiver(bus: bus, sink: PostgresArchiveSink(configuration: unreachable), spool: spool, configuration: configuration, clock: clock)
        let errors: @Sendable () -> Int = { running.archiver.statistics.databaseErrors }
        // The schema preparation failed: the database is down, the first probe due 1 s on.
        #expect(try await eventually { errors() == 1 })
        _ = try await publish(500, run: "down", to: bus)
        #expect(try await eventually { running.archiver.statistics.spooledEvents == 500 && running.archiver.statistics.acknowledged == 500 })
        #expect(errors() == 1, "spooled without a database attempt: the probe is not due")
        var expected = 1
        for backoff in [1.0, 2, 4, 8, 8] {
            clock.advance(by: .seconds(backoff - 0.5))
            try await Task.sleep(for: .milliseconds(300))
            #expect(errors() == expected, "\(backoff - 0.5) s into a \(backoff) s backoff: no probe yet")
            clock.advance(by: .milliseconds(500))
            expected += 1
            #expect(try await eventually { errors() == expected }, "probed when the \(backoff) s backoff passed")
        }
        try await running.stop()
        #expect(errors() == expected)
        #expect(running.archiver.statistics.spooledEvents == 500)
        try bus.close()
    }
}
