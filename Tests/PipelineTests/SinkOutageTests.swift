import BrokerHubTesting
import Archiver
import BrokerCore
import Foundation
import Logging
import PostgresNIO
import Realtime
import Testing

/// Issue #19: the archiver stalled for good when PostgreSQL went away mid-transaction. The server ending the
/// session at any moment of a write (here `pg_terminate_backend`, as a fast shutdown does to every session)
/// must end that write — committed, or failed with a clear error — within the sink's operation timeout; the
/// next write reconnects.
@Suite(
    "PostgreSQL sink: the server going away mid-write", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: PipelineTestEnvironment.postgresURL != nil, "BROKERHUB_TEST_POSTGRES_URL not set")
)
struct SinkOutageTests {
    @Test(arguments: [PostgresSinkConfiguration.WriteMethod.unnest, .copy])
    func everyWriteEndsWhenTheServerTerminatesSessions(method: PostgresSinkConfiguration.WriteMethod) async throws {
        var configuration = try PostgresSinkConfiguration(url: PipelineTestEnvironment.postgresURL ?? "")
        configuration.schema = PipelineTestEnvironment.uniqueName("bh_sinkout")
        configuration.method = method
        configuration.operationTimeout = .seconds(3)
        let sink = PostgresArchiveSink(configuration: configuration)
        try await sink.prepare()
        let schema = configuration.schema
        let terminator = Task {
            let killer = try await Self.connect(configuration)
            var terminated = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 5...150)))
                let rows = try? await killer.query(PostgresQuery(unsafeSQL: """
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE pid <> pg_backend_pid() AND datname = current_database() AND query LIKE '%\(schema)%'
                    """), logger: Logger(label: "test.terminator"))
                do {
                    if let rows { for try await count in rows.decode(Int64.self) { terminated += Int(count) } }
                } catch {
                    continue
                }
            }
            try? await killer.close()
            return terminated
        }
        var written = 0, failed = 0, stalled = 0
        for round in 0..<60 {
            let events = (0..<2_000).map { BusEventSamples.tick(id: "out-\(round)-\($0)", price: 70_000 + Int64($0)) }
            do {
                // The test's own bound, well past the sink's: a write that outlives it is the stall.
                _ = try await withDeadline(.seconds(20), operation: "sink.write") { try await sink.write(events) }
                written += 1
            } catch is DeadlineExceeded {
                stalled += 1
            } catch {
                let code = (error as? ArchiverError)?.code
                #expect(code == .sinkUnavailable || code == .sinkTimeout, "\(error)")
                failed += 1
            }
        }
        terminator.cancel()
        let terminated = try await terminator.value
        print("sink under pg_terminate_backend (\(method)): \(written) written, \(failed) failed, \(stalled) stalled, \(terminated) sessions terminated")
        #expect(stalled == 0, "a write never ended after its session was terminated")
        #expect(terminated > 0, "the terminator reached the sink's sessions")
        #expect(written > 0, "writes succeed between terminations")
        // After the storm the sink works again and every write that succeeded is stored exactly once.
        _ = try await sink.write([BusEventSamples.tick(id: "out-final")])
        let rows = try await sink.rowCount(.ticks)
        #expect(rows >= written * 2_000 + 1)
        try await sink.dropSchemaAndClose()
    }

    private static func connect(_ configuration: PostgresSinkConfiguration) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(host: configuration.host, port: configuration.port, username: configuration.username,
                                 password: configuration.password, database: configuration.database, tls: .disable),
            id: 99, logger: Logger(label: "test.terminator")
        )
    }
}
