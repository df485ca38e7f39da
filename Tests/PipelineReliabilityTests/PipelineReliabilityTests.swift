import Foundation
import ProcessTestSupport
import Testing

/// Issue #6: the realtime pipeline as real processes (streaming mock broker → collector → Redis bus →
/// archiver → PostgreSQL) survives crashes and outages without losing or doubling what was published.
/// Needs the shared Redis and PostgreSQL of `scripts/test.sh` (BROKERHUB_TEST_REDIS_URL, BROKERHUB_TEST_POSTGRES_URL).
@Suite(
    "Pipeline reliability (real processes)", .timeLimit(.minutes(10)), .serialized,
    .enabled(if: PipelineRig.isAvailable, "needs BROKERHUB_TEST_REDIS_URL and BROKERHUB_TEST_POSTGRES_URL (scripts/test.sh starts both)")
)
struct PipelineReliabilityTests {
    @Test("archiver killed -9 five times while ≥ 100,000 ticks stream: all published stored once")
    func archiverKilledRepeatedly() async throws {
        try await PipelineRig.run("kill") { rig, processes in
            let started = Date()
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 500...2_000)))
                await processes.archiver?.kill()
                processes.archiver = try await rig.startArchiver()
            }
            // The debug collector publishes slower than the mock sends: wait on what reached the bus.
            try await waitUntil("100,000 events published", timeout: 180) {
                try await Task.sleep(for: .seconds(2))
                return try await rig.ledger().published >= 100_000
            }
            let sent = try await rig.mockRecordsSent()
            await processes.collector?.stop()
            let streamed = Date().timeIntervalSince(started)
            let ledger = try await rig.waitForDrain()
            let drained = Date().timeIntervalSince(started)
            await processes.archiver?.stop()
            let counts = try await rig.tickCounts()
            print("kill test: mock sent \(sent), published \(ledger.published) stored \(ledger.stored) rows \(counts.rows) distinct \(counts.distinct); streamed \(String(format: "%.1f", streamed)) s, drained at \(String(format: "%.1f", drained)) s (\(Int(Double(ledger.stored) / drained)) ticks/s end to end)")
            #expect(ledger.status == 0, "ledger status: \(ledger.output)")
            #expect(ledger.published >= 100_000)
            #expect(ledger.stored == ledger.published)
            #expect(counts.rows == counts.distinct)
            #expect(counts.rows == ledger.stored)
        }
    }
}
