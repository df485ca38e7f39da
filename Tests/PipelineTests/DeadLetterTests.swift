import BrokerHubTesting
import Archiver
import Foundation
import ProcessTestSupport
import Realtime
import Testing

/// An event the database refuses for its content must not stall the archiver: it is isolated, kept in the
/// dead-letter spool, and everything else is stored.
@Suite("Archiver dead letters", .timeLimit(.minutes(10)), .serialized, .enabled(if: PipelineTestEnvironment.postgresURL != nil, "BROKERHUB_TEST_POSTGRES_URL not set"))
struct DeadLetterTests {
    @Test func anEventPostgreSQLRefusesIsDeadLetteredAndTheRestIsStored() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("deadletter")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try SinkTestFixture(.postgresUnnest)
        let bus = try makeJournalBus(directory)
        let spoolDirectory = directory.appendingPathComponent("spool")
        var events = BusEventSamples.mixed(count: 3_000, run: "poison")
        let poisoned = try #require(events.indices.first { $0 > 1_200 && events[$0].channel == .ticker })
        events[poisoned].symbol = "00\u{0}593" // PostgreSQL text cannot hold NUL: SQLSTATE 22021
        let badID = events[poisoned].id
        do {
            let sink = try fixture.open()
            let running = RunningArchiver(bus: bus, sink: sink, spool: try ArchiveSpool(directory: spoolDirectory))
            for start in stride(from: 0, to: events.count, by: 500) { try await bus.publish(Array(events[start..<min(events.count, start + 500)])) }
            let done = try await eventually(timeout: .seconds(60)) { running.archiver.statistics.acknowledged == events.count }
            #expect(done, "every delivery acknowledged: \(running.archiver.statistics)")
            try await running.stop()
            let statistics = running.archiver.statistics
            #expect(statistics.deadLettered == 1)
            #expect(statistics.rowsInserted == events.count - 1)
            #expect(statistics.spooledEvents == 0, "a refusal is not an outage: nothing spooled")

            let deadLetters = try ArchiveSpool(directory: spoolDirectory.appendingPathComponent("dead-letter"))
            let kept = try await deadLetters.segments().asyncFlatMap { try await deadLetters.events(in: $0) }
            #expect(kept.map(\.id) == [badID], "the refused event is kept, intact")
            #expect(kept.first?.symbol == "00\u{0}593")

            let reopened = try fixture.open()
            let report = try await Ledger(bus: bus, sink: reopened).report()
            try await reopened.close()
            #expect(report.totalMissing == 1, "the ledger shows the dead letter as missing")

            // Issue #16 item 7: the operator lists the dead letters and replays them.
            let deadLetterSpool = try DeadLetters(spoolDirectory: spoolDirectory)
            #expect(try await deadLetterSpool.list().map(\.event.id) == [badID])
            let listed = try await ServerProcess.run(["dead-letters", "list", "--spool", spoolDirectory.path, "--json"], directory: directory)
            #expect(listed.status == 0 && listed.output.contains(badID) && listed.output.contains(#""symbol":"00\u0000593""#), "\(listed.output.suffix(600))")
            // Into the same database: refused again, and kept.
            let again = try fixture.open()
            let refused = try await deadLetterSpool.replay(into: again)
            try await again.close()
            #expect(refused.refused.keys.sorted() == [badID] && refused.written == 0 && refused.segmentsRemoved == 0, "\(refused)")
            #expect(try await deadLetterSpool.list().map(\.event.id) == [badID], "still kept, once")
            // Into a database that takes it (SQLite text holds NUL), through the command: stored, the spool empties.
            let sqlite = try SinkTestFixture(.sqlite)
            let sqliteSpecification = "sqlite:" + (try #require(sqlite.sqlitePathForTests))
            let replayed = try await ServerProcess.run(["dead-letters", "replay", "--spool", spoolDirectory.path, "--sink", sqliteSpecification], directory: directory)
            #expect(replayed.status == 0 && replayed.output.contains("replayed: 1 stored, 0 already stored, 0 refused again"), "\(replayed.output.suffix(600))")
            #expect(try await deadLetterSpool.list().isEmpty)
            let stored = try sqlite.open()
            #expect(try await stored.rowCount(.ticks) == 1)
            try await stored.close()
            await sqlite.cleanUp()
        } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
        try bus.close()
    }
}

extension Sequence {
    func asyncFlatMap<T>(_ transform: (Element) async throws -> [T]) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result += try await transform(element) }
        return result
    }
}
