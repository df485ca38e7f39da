import BrokerCore
import Logging
import ServiceLifecycle

/// Keeps the ledger gauges (`Ledger.record`) current in the archiver process: every `interval` it reads both
/// sides of the ledger and sets `brokerhub_ledger_published|stored|missing{provider,channel}`, so a Prometheus
/// alert on `brokerhub_ledger_missing` sees a gap without anyone running `brokerhub ledger status`. A failed
/// read (the database or bus being down) is logged and tried again at the next interval; the gauges keep their
/// last values.
public struct LedgerMonitor: Service {
    let ledger: Ledger
    let interval: Duration
    let clock: any HubClock
    let logger: Logger

    public init(ledger: Ledger, interval: Duration = .seconds(15), clock: any HubClock = SystemClock(), logger: Logger) {
        self.ledger = ledger
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// The first reading is one interval after the start, when the archiver has prepared its schema.
    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            do {
                Ledger.record(try await ledger.report())
            } catch is CancellationError {
                return
            } catch {
                logger.warning("ledger not read; the gauges keep their last values", metadata: ["error.message": "\(error)"])
            }
        }
    }
}
