import BrokerCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the ledger gauges (`Ledger.record`) current in the archiver process: every `interval` it reads both
/// sides of the ledger and sets `brokerhub_ledger_published|stored|missing{provider,channel}`, so a Prometheus
/// alert on `brokerhub_ledger_missing` sees a gap without anyone running `brokerhub ledger status`. A failed
/// read (the database or bus being down) is logged and tried again at the next interval; the gauges keep their
/// last values. The hub runs one too, for its status and dashboard (`latest`).
public final class LedgerMonitor: Service, Sendable {
    /// A reading and when it was taken.
    public struct Reading: Sendable {
        public var report: LedgerReport
        public var at: Date
    }

    let ledger: Ledger
    let interval: Duration
    let clock: any HubClock
    let logger: Logger
    private let last = Mutex<Reading?>(nil)

    /// The last successful reading, nil before the first.
    public var latest: Reading? { last.withLock { $0 } }

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
                try await cancelWhenGracefulShutdown { try await self.clock.sleep(for: self.interval) }
            } catch {
                return
            }
            do {
                let report = try await ledger.report()
                Ledger.record(report)
                let reading = Reading(report: report, at: clock.now)
                last.withLock { $0 = reading }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("ledger not read; the gauges keep their last values", metadata: ["error.message": "\(error)"])
            }
        }
    }
}
