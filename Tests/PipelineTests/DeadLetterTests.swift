import Archiver
import Foundation
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
