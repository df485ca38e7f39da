import Archiver
import BrokerCore
import Foundation
import HubEngine
import Logging
import Metrics
import Realtime
import ServiceLifecycle
import Synchronization

/// Automatic recovery (`brokerhub recover`): listens to the bus's `system` channel; after a `session.gap` or a
/// `ledger.missing` alert it verifies the affected symbols' trading day (the day of their latest stored trade, from the
/// first minute the collection covered whole to the minute of the latest stored trade) and backfills what is missing,
/// through the hub at backfill priority — one symbol at a time, `spacing` apart (`RecoverySchedule`), so it never
/// starves interactive callers. Counted: `brokerhub_recover_runs_total{result}`, `brokerhub_recover_minutes_total{status}`
/// (`found`, `backfilled`), `brokerhub_recover_trades_total`.
public final class RecoveryService: Service, Sendable {
    /// What it has done so far.
    public struct Statistics: Sendable, Hashable {
        public var alerts = 0
        public var runs = 0
        public var failures = 0
        public var minutesFound = 0
        public var candlesBackfilled = 0
        public var tradesRecovered = 0
        /// The last recovery's one-line outcome.
        public var last: String?
    }

    let bus: any EventBus
    let store: any ArchiveSink
    let source: any HistorySource
    let clock: any HubClock
    let logger: Logger
    private let schedule: Mutex<RecoverySchedule>
    private let wake = WakeSignal()
    private let stats = Mutex(Statistics())

    public init(
        bus: any EventBus, store: any ArchiveSink, source: any HistorySource, settle: Duration = .seconds(30), spacing: Duration = .seconds(3),
        clock: any HubClock = SystemClock(), logger: Logger
    ) {
        self.bus = bus
        self.store = store
        self.source = source
        self.clock = clock
        self.logger = logger
        schedule = Mutex(RecoverySchedule(settle: settle, spacing: spacing))
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    /// Symbols waiting for recovery.
    public var waiting: Int { schedule.withLock { $0.waiting } }

    public func run() async throws {
        let alerts = try await bus.live(pattern: "system.*")
        logger.info("recovery listening for session.gap and ledger.missing")
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in alerts {
                        guard case .alert(let alert) = event.payload else { continue }
                        await self.received(alert)
                    }
                }
                group.addTask { await self.work() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Schedules what an alert affects.
    func received(_ alert: RealtimeAlert) async {
        var known: [RecoverySchedule.Target] = []
        if alert.kind == "session.gap" {
            do {
                known = try await store.storedCounts().keys
                    .filter { $0.channel == .ticker }
                    .compactMap { key in Provider(rawValue: key.provider).map { RecoverySchedule.Target(provider: $0, symbol: key.symbol) } }
            } catch {
                logger.warning("recovery: the archive's symbols cannot be read", metadata: ["error": "\(error)"])
            }
        }
        let targets = RecoverySchedule.targets(of: alert, known: known)
        guard !targets.isEmpty else { return }
        stats.withLock { $0.alerts += 1 }
        let now = clock.now
        schedule.withLock { $0.affected(targets, at: now) }
        logger.info("recovery scheduled", metadata: ["recover.alert": "\(alert.kind)", "recover.symbols": "\(targets.count)"])
        wake.notify()
    }

    private func work() async {
        while !Task.isCancelled {
            let action = schedule.withLock { $0.next(at: clock.now) }
            switch action {
            case .idle:
                await wake.wait()
            case .sleep(let until):
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await self.clock.sleep(until: until) }
                    group.addTask { await self.wake.wait() }
                    await group.next()
                    group.cancelAll()
                }
            case .recover(let target):
                await recover(target)
            }
        }
    }

    /// Verifies and backfills one symbol's trading day.
    func recover(_ target: RecoverySchedule.Target) async {
        let metadata: Logger.Metadata = ["recover.provider": "\(target.provider.rawValue)", "recover.symbol": "\(target.symbol)"]
        do {
            guard let last = try await store.lastTradeTime(provider: target.provider, symbol: target.symbol) else { return }
            let options = Verifier.Options(provider: target.provider, day: KSTDate(last), symbols: [target.symbol], from: .firstTrade, to: .lastTrade)
            let report = try await Verifier(source: source, store: store, clock: clock, logger: logger).run(options)
            let found = report.totals.gaps
            let summary = found > 0 ? try await Backfiller(source: source, store: store, clock: clock, logger: logger).run(report) : Backfiller.Summary()
            let backfilled = summary.candlesInserted + summary.candlesUpdated
            let line = "\(target.provider.rawValue) \(target.symbol) \(report.day) \(report.from)–\(report.to): \(found) minutes found, "
                + "\(backfilled) candles backfilled, \(summary.tradesRecovered) trades recovered"
            stats.withLock {
                $0.runs += 1
                $0.minutesFound += found
                $0.candlesBackfilled += backfilled
                $0.tradesRecovered += summary.tradesRecovered
                $0.last = line
            }
            Counter(label: "brokerhub_recover_runs_total", dimensions: [("result", "ok")]).increment()
            Counter(label: "brokerhub_recover_minutes_total", dimensions: [("status", "found")]).increment(by: found)
            Counter(label: "brokerhub_recover_minutes_total", dimensions: [("status", "backfilled")]).increment(by: backfilled)
            Counter(label: "brokerhub_recover_trades_total").increment(by: summary.tradesRecovered)
            logger.notice("recovered", metadata: metadata.merging(["recover.result": "\(line)"]) { $1 })
        } catch is CancellationError {
            return
        } catch {
            stats.withLock {
                $0.failures += 1
                $0.last = "\(target.provider.rawValue) \(target.symbol): \(error)"
            }
            Counter(label: "brokerhub_recover_runs_total", dimensions: [("result", "failed")]).increment()
            logger.warning("recovery failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
