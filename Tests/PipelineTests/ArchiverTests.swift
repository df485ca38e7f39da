import BrokerHubTesting
import Archiver
import Foundation
import ProcessTestSupport
import Realtime
import Testing

/// The archiver against the real journal bus and real databases: nothing lost, nothing doubled.
@Suite("Archiver", .timeLimit(.minutes(10)), .serialized)
struct ArchiverTests {
    @Test func archives20000EventsIntoSQLite() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try makeJournalBus(directory)
        let sink = try SQLiteArchiveSink(path: directory.appendingPathComponent("archive.sqlite").path)
        let spool = try ArchiveSpool(directory: directory.appendingPathComponent("spool"))
        try await archivesEverything(bus: bus, sink: sink, spool: spool, count: 20_000)
        let reopened = try SQLiteArchiveSink(path: directory.appendingPathComponent("archive.sqlite").path)
        #expect(try await totalRows(reopened) == 20_000)
        try await reopened.close()
        try bus.close()
    }

    // Needs BROKERHUB_TEST_POSTGRES_URL (scripts/test.sh); skipped without it.
    @Test(.enabled(if: PipelineTestEnvironment.postgresURL != nil, "BROKERHUB_TEST_POSTGRES_URL not set"))
    func archives20000EventsIntoPostgres() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try SinkTestFixture(.postgresCopy)
        let bus = try makeJournalBus(directory)
        let spool = try ArchiveSpool(directory: directory.appendingPathComponent("spool"))
        do {
            try await archivesEverything(bus: bus, sink: try fixture.open(), spool: spool, count: 20_000)
            let reopened = try fixture.open()
            #expect(try await totalRows(reopened) == 20_000)
            try await reopened.close()
        } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
        try bus.close()
    }

    private func archivesEverything(bus: JournalEventBus, sink: any ArchiveSink, spool: ArchiveSpool, count: Int) async throws {
        let running = RunningArchiver(bus: bus, sink: sink, spool: spool)
        let events = try await publish(count, run: "big", to: bus)
        let stored = try await eventually { try await sink.storedCounts() == expectedCounts(events) }
        #expect(stored)
        try await running.stop()
        let statistics = running.archiver.statistics
        #expect(statistics.rowsInserted == count)
        #expect(statistics.acknowledged == count)
        #expect(statistics.spooledEvents == 0)
        #expect(statistics.batches > 1)
        // The ledger balances and nothing is left for the group.
        let reopened = try reopen(sink)
        let report = try await Ledger(bus: bus, sink: reopened).report()
        try await reopened.close()
        #expect(report.isComplete)
        #expect(report.totalPublished == Int64(count))
        #expect(report.totalStored == Int64(count))
        #expect(try await bus.read(group: "archiver", consumer: "other", maximum: 10, wait: .zero).isEmpty)
    }

    /// The sink after `stop()` closed it: a new one on the same storage.
    private func reopen(_ sink: any ArchiveSink) throws -> any ArchiveSink {
        if let sqlite = sink as? SQLiteArchiveSink { return try SQLiteArchiveSink(path: sqlite.path) }
        if let postgres = sink as? PostgresArchiveSink { return PostgresArchiveSink(configuration: postgres.configuration) }
        return sink
    }

    @Test func crashBetweenCommitAndAcknowledgeStoresNoDuplicates() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("archive.sqlite").path
        let spool = try ArchiveSpool(directory: directory.appendingPathComponent("spool"))
        let events: [RealtimeEvent]
        do {
            // First process: commits every batch, "dies" before each acknowledgement.
            let bus = try makeJournalBus(directory)
            let sink = try SQLiteArchiveSink(path: path)
            let running = RunningArchiver(bus: NonAcknowledgingBus(base: bus), sink: sink, spool: spool)
            events = try await publish(3_000, run: "crash", to: bus)
            #expect(try await eventually { try await sink.storedCounts() == expectedCounts(events) })
            try await running.stop()
            #expect(running.archiver.statistics.rowsInserted == 3_000)
            try bus.close()
        }
        // Second process, same consumer name: everything is redelivered, nothing is inserted twice.
        let bus = try makeJournalBus(directory)
        let sink = try SQLiteArchiveSink(path: path)
        let running = RunningArchiver(bus: bus, sink: sink, spool: spool)
        #expect(try await eventually { running.archiver.statistics.acknowledged == 3_000 })
        try await running.stop()
        #expect(running.archiver.statistics.rowsInserted == 0)
        let check = try SQLiteArchiveSink(path: path)
        #expect(try await check.storedCounts() == expectedCounts(events))
        #expect(try await totalRows(check) == 3_000)
        #expect(try await bus.read(group: "archiver", consumer: "other", maximum: 10, wait: .zero).isEmpty)
        try await check.close()
        try bus.close()
    }

    @Test func gracefulShutdownFlushesTheBatchInHand() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try makeJournalBus(directory)
        let path = directory.appendingPathComponent("archive.sqlite").path
        var configuration = ArchiverConfiguration.testing
        // The batch would wait a minute for more events: only the shutdown writes it.
        configuration.batchSize = 100_000
        configuration.lingerTime = .seconds(60)
        let running = RunningArchiver(
            bus: bus, sink: try SQLiteArchiveSink(path: path), spool: try ArchiveSpool(directory: directory.appendingPathComponent("spool")),
            configuration: configuration
        )
        let events = try await publish(700, run: "flush", to: bus)
        // Wait until the archiver holds every event (delivered, not acknowledged), then stop it.
        #expect(try await eventually { running.archiver.statistics.received == 700 })
        #expect(running.archiver.statistics.batches == 0)
        try await running.stop()
        #expect(running.archiver.statistics.acknowledged == 700)
        let check = try SQLiteArchiveSink(path: path)
        #expect(try await check.storedCounts() == expectedCounts(events))
        try await check.close()
        try bus.close()
    }

    // Needs BROKERHUB_TEST_POSTGRES_URL; the outage is a proxy the test cuts, the shared server stays up.
    @Test(.enabled(if: PipelineTestEnvironment.postgresURL != nil, "BROKERHUB_TEST_POSTGRES_URL not set"))
    func databaseOutageSpoolsThenReplays() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try SinkTestFixture(.postgresCopy)
        let real = try #require(fixture.postgresConfiguration)
        let proxy = try await TCPProxy(targetHost: real.host, targetPort: real.port)
        var throughProxy = real
        throughProxy.host = "127.0.0.1"
        throughProxy.port = proxy.port
        throughProxy.connectTimeout = .seconds(2)
        let bus = try makeJournalBus(directory)
        let spoolDirectory = directory.appendingPathComponent("spool")
        let spool = try ArchiveSpool(directory: spoolDirectory)
        do {
            // Up: a first part goes straight in.
            let running = RunningArchiver(bus: bus, sink: PostgresArchiveSink(configuration: throughProxy), spool: spool)
            let direct = PostgresArchiveSink(configuration: real)
            let first = try await publish(2_000, run: "up", to: bus)
            // `try?`: the running archiver may not have created the schema yet at the first look.
            #expect(try await eventually { (try? await direct.storedCounts()) == expectedCounts(first) })
            // Down: batches are spooled and acknowledged.
            try await proxy.cut()
            let second = try await publish(3_000, run: "down", to: bus)
            #expect(try await eventually { running.archiver.statistics.spooledEvents >= 3_000 })
            #expect(try await eventually { running.archiver.statistics.acknowledged == 5_000 })
            #expect(try await direct.storedCounts() == expectedCounts(first))
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty))
            #expect(running.archiver.statistics.databaseErrors > 0)
            // Back: the spool is replayed, then deleted; the ledger balances.
            try await proxy.restore()
            let third = try await publish(1_000, run: "back", to: bus)
            let all = first + second + third
            #expect(try await eventually { try await direct.storedCounts() == expectedCounts(all) })
            #expect(try await eventually { (try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty) == true })
            try await running.stop()
            #expect(running.archiver.statistics.replayedEvents == running.archiver.statistics.spooledEvents)
            #expect(try await totalRows(direct) == 6_000)
            let report = try await Ledger(bus: bus, sink: direct).report()
            #expect(report.isComplete && report.totalStored == 6_000)
            try await direct.close()
        } catch {
            try? await proxy.shutdown()
            await fixture.cleanUp()
            throw error
        }
        try await proxy.shutdown()
        await fixture.cleanUp()
        try bus.close()
    }

    @Test func spoolLeftByAStoppedArchiverIsReplayedOnStart() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("archiver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spoolDirectory = directory.appendingPathComponent("spool")
        let events = BusEventSamples.mixed(count: 1_500, run: "left")
        do {
            let spool = try ArchiveSpool(directory: spoolDirectory)
            try await spool.append(Array(events[..<700]))
            try await spool.append(Array(events[700...]))
            await spool.close()
        }
        let bus = try makeJournalBus(directory)
        let path = directory.appendingPathComponent("archive.sqlite").path
        let sink = try SQLiteArchiveSink(path: path)
        let running = RunningArchiver(bus: bus, sink: sink, spool: try ArchiveSpool(directory: spoolDirectory))
        #expect(try await eventually { running.archiver.statistics.replayedEvents == 1_500 })
        try await running.stop()
        let check = try SQLiteArchiveSink(path: path)
        #expect(try await check.storedCounts() == expectedCounts(events))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty)
        try await check.close()
        try bus.close()
    }
}
