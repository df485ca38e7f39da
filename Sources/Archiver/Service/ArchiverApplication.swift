import BrokerCore
import Foundation
import Logging
import Realtime
import ServiceLifecycle

/// The archiver's composition root: turns a sink specification, a spool directory and an
/// `ArchiverConfiguration` into the `Archiver` over a bus the caller opened (`EventBusSpecification`), and the
/// services that run it — as `HubApplication` does for the hub.
public final class ArchiverApplication: Sendable {
    public let archiver: Archiver
    /// The database the archiver writes (`ArchiveSinkSpecification`).
    public let sink: any ArchiveSink
    /// Sets the ledger gauges from the bus and the sink.
    public let ledgerMonitor: LedgerMonitor

    /// - Throws: `config.invalid` for a sink specification it cannot use, `spool.failure` for a spool directory
    ///   it cannot create.
    public init(
        bus: any EventBus, sink specification: String, spool directory: String, configuration: ArchiverConfiguration = ArchiverConfiguration(),
        clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.archiver")
    ) throws {
        sink = try ArchiveSinkSpecification.open(specification, logger: logger)
        let spool: ArchiveSpool
        do {
            spool = try ArchiveSpool(directory: URL(fileURLWithPath: directory))
        } catch let error as ArchiverError {
            throw error
        } catch {
            throw ArchiverError(.spoolFailure, "cannot open the spool \(directory): \(error)", underlying: error)
        }
        archiver = Archiver(bus: bus, sink: sink, spool: spool, configuration: configuration, clock: clock, logger: logger)
        let archiver = archiver
        ledgerMonitor = LedgerMonitor(
            ledger: Ledger(bus: bus, sink: sink), interval: configuration.ledgerInterval,
            losses: .init(caughtUpAt: { archiver.caughtUpAt }, bus: bus, grace: configuration.ledgerGrace), clock: clock, logger: logger
        )
    }

    /// What runs: the archiver and the ledger gauges (the bus's own services belong to whoever opened it).
    public var services: [any Service] { [archiver, ledgerMonitor] }
}
