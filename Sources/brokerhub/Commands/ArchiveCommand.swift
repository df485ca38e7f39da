import Archiver
import ArgumentParser
import Foundation
import HubServer
import Logging
import Realtime
import ServiceLifecycle

/// `brokerhub archive`: the archiver process — bus → database, spooling to disk while the database is down.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Archive the realtime bus into PostgreSQL or SQLite until SIGTERM (nothing lost, nothing doubled).",
        discussion: """
        Reads the bus as consumer group `archiver`, writes batches (--batch-size events or --linger-ms, whichever \
        first) in one transaction and acknowledges the bus only after the commit. Database errors are retried with \
        backoff (1, 2, 4, … s); a batch the database keeps refusing goes to the spool directory (fsynced) and is \
        replayed when the database returns. SIGTERM/SIGINT flush the batch in hand and stop.
        --bus journal:PATH | redis://host:port/db     --sink sqlite:PATH | postgres://user@host:port/db[?schema=NAME&method=copy|unnest]
        """
    )

    @Option(help: "The bus: journal:PATH (embedded) or redis://host:port/db.")
    var bus: String

    @Option(help: "The database: sqlite:PATH or postgres://user@host:port/db[?schema=NAME&method=copy|unnest].")
    var sink: String

    @Option(help: "Spool directory for batches the database would not take.")
    var spool: String = "archiver-spool"

    @Option(help: "Consumer name in the group (default: host-pid).")
    var consumer: String?

    @Option(help: "Events per batch.")
    var batchSize: Int = 5_000

    @Option(help: "Longest wait (ms) after a batch's first event before writing it.")
    var lingerMs: Int = 200

    @Option(help: "Database attempts per batch before it is spooled.")
    var attempts: Int = 5

    @Option(help: "Cap (s) of the retry backoff and of the pause between database probes while spooling.")
    var backoffCapSeconds: Int = 30

    @Option(help: "Write 'ready' to this file once the archiver runs (the HTTP URL when --http-port is given).")
    var readyFile: String?

    @Option(name: [.customLong("http-port"), .customLong("metrics-port")], help: "Serve /health, /ready and /metrics on this loopback port (0: any free port).")
    var httpPort: Int?

    @Option(help: "Address of the /health, /ready and /metrics endpoint (0.0.0.0 in a container, for Prometheus).")
    var httpHost: String = "127.0.0.1"

    @Option(help: "Seconds between readings of the ledger for its gauges (brokerhub_ledger_published|stored|missing).")
    var ledgerSeconds: Double = 15

    @Option(help: "A ledger difference counts as lost (logged, counted, paged as ledger.missing) once the archiver has been caught up this many seconds after the reading that saw it; events in flight or spooled never do.")
    var ledgerGraceSeconds: Double = 10

    @Option(help: "Seconds events may be pending with no batch committed before it counts as a stall (alert, /ready 503).")
    var stallSeconds: Double = 60

    @Option(help: "SIGTERM: seconds the drain may take before the process cancels its work (and ends 5 s later at most).")
    var drainSeconds: Double = 15

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: BROKERHUB_LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard batchSize > 0, lingerMs >= 0, attempts > 0, backoffCapSeconds > 0 else {
            throw ValidationError("--batch-size, --attempts and --backoff-cap-seconds must be positive, --linger-ms not negative")
        }
    }

    func run() async throws {
        HubMetrics.bootstrap()  // before any metric is created, so that /metrics sees them all
        let logger = try ProcessRunner.logger(label: "brokerhub.archiver", level: logLevel)
        let opened = try ProcessRunner.openBus(bus, logger: logger)
        var configuration = ArchiverConfiguration()
        if let consumer { configuration.consumer = consumer }
        configuration.batchSize = batchSize
        configuration.lingerTime = .milliseconds(lingerMs)
        configuration.attemptsBeforeSpooling = attempts
        configuration.backoffCap = .seconds(backoffCapSeconds)
        configuration.stallThreshold = .milliseconds(Int64(max(0.1, stallSeconds) * 1000))
        configuration.ledgerInterval = .milliseconds(Int64(max(0.1, min(ledgerSeconds, 86_400)) * 1000))
        configuration.ledgerGrace = .milliseconds(Int64(max(0.1, min(ledgerGraceSeconds, 86_400)) * 1000))
        let application = try ProcessRunner.archiverStep {
            try ArchiverApplication(bus: opened.bus, sink: sink, spool: spool, configuration: configuration, logger: logger)
        }
        let archiver = application.archiver
        logger.info("archiving", metadata: [
            "archiver.bus": "\(bus)", "archiver.sink": "\(ArchiveSinkSpecification.redacted(self.sink))",
            "archiver.spool": "\(self.spool)",
        ])
        var services: [any Service] = opened.services + application.services
        if let httpPort {
            let readyFile = self.readyFile
            // Started last, stopped first: /ready answers until the archiver begins to drain.
            services.append(WorkerHTTPServer.endpoint(host: httpHost, port: httpPort, what: "archiver", readyFile: readyFile, logger: logger) {
                guard archiver.isStalled else { return nil }
                return "stalled: events pending and no batch committed for \(Int(archiver.stalledSeconds)) s"
            })
        } else if let readyFile {
            try? Data("ready\n".utf8).write(to: URL(fileURLWithPath: readyFile))
        }
        try await ProcessRunner.run(services, drainSeconds: drainSeconds, logger: logger)
        let statistics = archiver.statistics
        FileHandle.standardOutput.write(Data("""
            archiver stopped: \(statistics.batches) batches, \(statistics.rowsInserted) rows, \
            \(statistics.spooledEvents) spooled, \(statistics.replayedEvents) replayed, \(statistics.deadLettered) dead-lettered, \
            \(statistics.databaseErrors) database errors

            """.utf8))
    }
}
