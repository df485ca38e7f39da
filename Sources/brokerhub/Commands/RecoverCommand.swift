import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import History
import HubServer
import Logging
import Realtime
import ServiceLifecycle

/// `brokerhub recover`: automatic verify → backfill after the pipeline says it lost something.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Verify and backfill on their own after a session.gap or ledger.missing alert, until SIGTERM.",
        discussion: """
        Listens to the bus's system channel. A session.gap (the collector's WebSocket session was cut) affects every \
        symbol of its provider the archive holds; a ledger.missing affects its symbol. --settle-seconds after the last \
        alert naming a symbol — the cut minutes have closed, the archive has caught up — it verifies the symbol's \
        trading day (the day of its latest stored trade, from the first minute collected whole to the minute of the \
        latest trade) against the broker's minute candles and backfills what is missing, exactly as `brokerhub verify` \
        and `brokerhub backfill` do, through the hub at backfill priority: one symbol at a time, --spacing-seconds \
        apart, so it never starves interactive callers. --http-port serves /health, /ready and /metrics \
        (brokerhub_recover_runs_total{result}, brokerhub_recover_minutes_total{status}, brokerhub_recover_trades_total).
        """
    )

    @Option(help: "The bus: journal:PATH (embedded) or redis://host:port/db.")
    var bus: String

    @Option(help: "The archive: sqlite:PATH or postgres://user@host:port/db[?schema=NAME].")
    var sink: String

    @Option(help: "The hub's base URL (default: BROKERHUB_HUB_URL or http://127.0.0.1:8080).")
    var hub: String?

    @Option(help: "Seconds after the last alert naming a symbol before it is verified.")
    var settleSeconds: Double = 30

    @Option(help: "Seconds between two symbols' recoveries (bounds the share of the hub's backfill budget taken).")
    var spacingSeconds: Double = 3

    @Option(help: "Write 'ready' to this file once listening (the HTTP URL when --http-port is given).")
    var readyFile: String?

    @Option(name: [.customLong("http-port"), .customLong("metrics-port")], help: "Serve /health, /ready and /metrics on this loopback port (0: any free port).")
    var httpPort: Int?

    @Option(help: "Address of the /health, /ready and /metrics endpoint (0.0.0.0 in a container, for Prometheus).")
    var httpHost: String = "127.0.0.1"

    @Option(help: "Log level (default: BROKERHUB_LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard settleSeconds >= 0, settleSeconds <= 86_400 else { throw ValidationError("--settle-seconds must be 0 to 86400") }
        guard spacingSeconds >= 0, spacingSeconds <= 3_600 else { throw ValidationError("--spacing-seconds must be 0 to 3600") }
    }

    func run() async throws {
        HubMetrics.bootstrap()
        let logger = try ProcessRunner.logger(label: "brokerhub.recover", level: logLevel)
        let opened = try ProcessRunner.openBus(bus, logger: logger)
        let store = try ProcessRunner.openSink(sink, logger: logger)
        let endpoint = HubEndpoint(hub)
        let recovery = RecoveryService(
            bus: opened.bus, store: store, source: endpoint.source, settle: .milliseconds(Int64(settleSeconds * 1000)),
            spacing: .milliseconds(Int64(spacingSeconds * 1000)), logger: logger
        )
        logger.info("recovering", metadata: ["recover.bus": "\(bus)", "recover.sink": "\(ArchiveSinkSpecification.redacted(sink))", "recover.hub": "\(endpoint.base)"])
        var services: [any Service] = opened.services + [recovery]
        if let httpPort {
            services.append(WorkerHTTPServer.endpoint(
                host: httpHost, port: httpPort, what: "recovery", readyFile: readyFile, logger: logger,
                status: { let s = recovery.statistics; return "waiting \(recovery.waiting), runs \(s.runs), failures \(s.failures), last: \(s.last ?? "-")" }
            ) { nil })
        } else if let readyFile {
            try? Data("ready\n".utf8).write(to: URL(fileURLWithPath: readyFile))
        }
        try await ProcessRunner.run(services, drainSeconds: 10, logger: logger)
        try? await store.close()
        let s = recovery.statistics
        print("recovery stopped: \(s.alerts) alerts, \(s.runs) runs (\(s.failures) failed), \(s.minutesFound) minutes found, "
            + "\(s.candlesBackfilled) candles backfilled, \(s.tradesRecovered) trades recovered")
    }
}
