import Archiver
import BrokerCore
import Logging
import Realtime
import ServiceLifecycle

/// The pipeline's ledger as the hub reads it (BROKERHUB_BUS with BROKERHUB_ARCHIVE): a `LedgerMonitor` over the bus
/// and a read-only use of the archive (only its counts), whose latest reading `/v1/status` and the dashboard show.
/// The archive is the archiver's: the hub never prepares or writes it, and closes its connection at shutdown.
public struct HubLedger: Service {
    public let monitor: LedgerMonitor
    let sink: any ArchiveSink
    let logger: Logger

    init(bus: any EventBus, sink: any ArchiveSink, interval: Duration, clock: any HubClock, logger: Logger) {
        monitor = LedgerMonitor(ledger: Ledger(bus: bus, sink: sink), interval: interval, clock: clock, logger: logger)
        self.sink = sink
        self.logger = logger
    }

    public func run() async throws {
        try await monitor.run()
        do {
            try await sink.close()
        } catch {
            logger.debug("archive connection not closed cleanly", metadata: ["error.message": "\(error)"])
        }
    }
}
