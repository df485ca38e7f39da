import BrokerCore
import Logging
import Realtime
import ServiceLifecycle

/// Keeps the ledger gauges (`Ledger.record`) current in the archiver process: every `interval` it reads both
/// sides of the ledger and sets `brokerhub_ledger_published|stored|missing{provider,channel}`, so a Prometheus
/// alert on `brokerhub_ledger_missing` sees a gap without anyone running `brokerhub ledger status`. A failed
/// read (the database or bus being down) is logged and tried again at the next interval; the gauges keep their
/// last values. A gap that lasts two readings without shrinking (`LedgerWatch`) is raised as a `ledger.missing`
/// alert on the bus's system channel at every reading while it lasts; the alert policy pages once and reminds.
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
        var watch = LedgerWatch()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            do {
                let report = try await ledger.report()
                Ledger.record(report)
                for gap in watch.observe(report) {
                    let message = "\(gap.missing) \(gap.channel.rawValue) events of \(gap.provider) published but not stored for \(gap.readings) readings "
                        + "(`brokerhub ledger status` names the symbols; `ledger check` compares with the broker)"
                    logger.warning("ledger gap", metadata: ["ledger.provider": "\(gap.provider)", "ledger.channel": "\(gap.channel.rawValue)", "ledger.missing": "\(gap.missing)"])
                    try await ledger.raise(RealtimeAlert(kind: "ledger.missing", message: message, provider: Provider(rawValue: gap.provider), symbol: gap.channel.rawValue, at: clock.now))
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("ledger not read; the gauges keep their last values", metadata: ["error.message": "\(error)"])
            }
        }
    }
}
