import Archiver
import BrokerCore
import Foundation
import HubEngine
import Logging

/// Performs backfill (`brokerhub backfill`) from a verification report: for each symbol with unaccounted minutes, the
/// broker's minute candles again (stored as `backfill` where a minute is not closed yet) and the trades the broker
/// still serves (`HistorySource.trades`; stored as `backfill` ticks where not stored yet, `BackfillPlan`), through the
/// hub at backfill priority. Idempotent: a second run over the same report stores nothing new.
public struct Backfiller: Sendable {
    /// What one run stored.
    public struct Summary: Sendable, Hashable, Codable {
        public var symbols = 0
        public var candlesInserted = 0
        public var candlesUpdated = 0
        public var tradesRecovered = 0
        /// Symbols the broker refused, with the reason.
        public var failed: [String: String] = [:]

        public init() {}
    }

    let source: any HistorySource
    let store: any ArchiveSink
    let clock: any HubClock
    let logger: Logger

    public init(source: any HistorySource, store: any ArchiveSink, clock: any HubClock = SystemClock(), logger: Logger) {
        self.source = source
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    /// Backfills every symbol of `report` with findings; `recoverTrades: false` stores candles only.
    public func run(_ report: VerificationReport, recoverTrades: Bool = true, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Summary {
        guard let day = report.tradingDay else { throw BrokerHubError(.invalidArgument, "the report's day \(report.day) is not YYYYMMDD") }
        let work = report.symbols.filter { !$0.findings.isEmpty }
        var summary = Summary()
        for (index, symbol) in work.enumerated() {
            do {
                try await backfill(symbol, provider: report.provider, day: day, recoverTrades: recoverTrades, into: &summary)
            } catch let error as BrokerHubError where !HubWaits.waitsOut(error) {
                logger.warning("backfill: symbol refused", metadata: ["backfill.symbol": "\(symbol.symbol)", "error.code": "\(error.code)"])
                summary.failed[symbol.symbol] = "\(error.code): \(error.message)"
            }
            summary.symbols += 1
            progress(index + 1, work.count)
        }
        return summary
    }

    private func backfill(_ symbol: SymbolVerification, provider: Provider, day: KSTDate, recoverTrades: Bool, into summary: inout Summary) async throws {
        let now = clock.now
        let open = BackfillPlan.minutes(symbol, includingBackfilled: false)
        if !open.isEmpty {
            let broker = try await HubWaits.retrying(clock: clock) {
                try await source.candles(provider: provider, symbol: symbol.symbol, interval: .oneMinute, from: day, to: day)
            }
            let written = try await store.writeCandles(BackfillPlan.candles(broker, minutes: open, day: day, now: now), checkpoint: nil, now: now)
            summary.candlesInserted += written.inserted
            summary.candlesUpdated += written.updated
        }
        guard recoverTrades else { return }
        let minutes = BackfillPlan.minutes(symbol)
        let fetched = try await HubWaits.retrying(clock: clock) { try await source.trades(provider: provider, symbol: symbol.symbol) }
        let stored = try await store.trades(provider: provider, symbol: symbol.symbol, from: day.start, to: day.adding(days: 1).start)
        let events = BackfillPlan.trades(fetched, stored: stored, minutes: minutes, day: day, provider: provider, symbol: symbol.symbol, now: now)
        summary.tradesRecovered += try await store.write(events).ticks
    }
}
