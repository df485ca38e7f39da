import BrokerCore
import Foundation
import Logging
import Metrics
import Realtime
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
    private let losses: LossWatch?
    private let lossCheck: Mutex<LedgerLossCheck>

    /// The archiver's side of the ledger alert: its caught-up moment, and the bus the `ledger.missing` alerts are
    /// published on (the `system` channel, as the collector's).
    public struct LossWatch: Sendable {
        public var caughtUpAt: @Sendable () -> Date?
        public var bus: any EventBus
        public var grace: Duration

        public init(caughtUpAt: @escaping @Sendable () -> Date?, bus: any EventBus, grace: Duration = .seconds(10)) {
            self.caughtUpAt = caughtUpAt
            self.bus = bus
            self.grace = grace
        }
    }

    /// The last successful reading, nil before the first.
    public var latest: Reading? { last.withLock { $0 } }

    /// - Parameter losses: with it, a difference the archiver cannot explain (`LedgerLossCheck`) is logged, counted
    ///   (`brokerhub_ledger_lost_total`) and published as a `ledger.missing` alert.
    public init(
        ledger: Ledger, interval: Duration = .seconds(15), losses: LossWatch? = nil, clock: any HubClock = SystemClock(), logger: Logger
    ) {
        self.ledger = ledger
        self.losses = losses
        lossCheck = Mutex(LedgerLossCheck(grace: losses?.grace ?? .seconds(10)))
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
                if let losses { try await judge(reading, losses) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("ledger not read; the gauges keep their last values", metadata: ["error.message": "\(error)"])
            }
        }
    }

    /// Feeds the reading to the loss check and raises what it finds.
    private func judge(_ reading: Reading, _ watch: LossWatch) async throws {
        let caughtUpAt = watch.caughtUpAt()
        let found = lossCheck.withLock { $0.reading(reading.report, at: reading.at, caughtUpAt: caughtUpAt) }
        guard !found.isEmpty else { return }
        var events: [RealtimeEvent] = []
        for loss in found {
            Counter(label: "brokerhub_ledger_lost_total", dimensions: [("provider", loss.key.provider), ("channel", loss.key.channel.rawValue)])
                .increment(by: Int(loss.added))
            let message = "\(loss.total) \(loss.key.channel.rawValue) event(s) of \(loss.key.provider) \(loss.key.symbol) were published and never stored "
                + "(\(loss.added) new; the archiver has caught up since)"
            logger.error("ledger: events lost", metadata: [
                "ledger.key": "\(loss.key)", "ledger.lost": "\(loss.total)", "ledger.added": "\(loss.added)",
            ])
            let provider = Provider(rawValue: loss.key.provider) ?? .kis
            let symbol = loss.key.channel == .system ? nil : loss.key.symbol
            let alert = RealtimeAlert(kind: "ledger.missing", message: message, provider: provider, symbol: symbol, at: reading.at)
            events.append(RealtimeEvent(
                id: "ledger-\(UUID().uuidString.lowercased())", channel: .system, provider: provider, symbol: alert.kind, receivedAt: reading.at,
                payload: .alert(alert)
            ))
        }
        try await watch.bus.publish(events)
    }
}
