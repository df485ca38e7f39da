import Archiver
import BrokerCore
import Foundation
import HubEngine
import Logging

/// Performs a verification (`brokerhub verify`): for each symbol, the day's stored trades (`ArchiveSink.trades`) and
/// the broker's minute candles through the hub (`HistorySource`, backfill priority; KIS FHKST03010200 today,
/// FHKST03010230 a past day; Kiwoom ka10080), compared by `MinuteVerification`; the collector's `session.gap` alerts of
/// the day from the archive. Every complete minute is stored as a `derived` candle, so the archive's minute candles are
/// whole where the trades are. A symbol the broker refuses is reported with its error; the hub or the archive being
/// unavailable throws.
public struct Verifier: Sendable {
    /// Where a window edge is: a KST time of day, or found from the stored trades.
    public enum Bound: Sendable, Hashable {
        case at(Int)
        /// `from`: the first minute after the one holding the day's earliest stored trade (the first the collection
        /// covered whole).
        case firstTrade
        /// `to`: the minute holding the day's latest stored trade (exclusive: the collection stopped inside it).
        case lastTrade
    }

    public struct Options: Sendable {
        public var provider: Provider
        public var day: KSTDate
        public var symbols: [String]
        public var from: Bound
        public var to: Bound
        public var tolerance: MinuteVerification.Tolerance
        /// Store complete minutes as `derived` candles.
        public var storeDerived: Bool

        public init(
            provider: Provider, day: KSTDate, symbols: [String], from: Bound = .at(MinuteWindow.session.from),
            to: Bound = .at(MinuteWindow.session.to), tolerance: MinuteVerification.Tolerance = .init(), storeDerived: Bool = true
        ) {
            self.provider = provider
            self.day = day
            self.symbols = symbols
            self.from = from
            self.to = to
            self.tolerance = tolerance
            self.storeDerived = storeDerived
        }
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

    /// Verifies every symbol; `progress(done, total)` after each.
    public func run(_ options: Options, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> VerificationReport {
        let dayStart = options.day.start, dayEnd = options.day.adding(days: 1).start
        // Edges found from the trades take a first pass that keeps only each symbol's first and last realtime trade
        // (a universe's day of trades is not held in memory at once).
        var edges: [StoredTrade] = []
        if options.from == .firstTrade || options.to == .lastTrade {
            for symbol in options.symbols {
                let realtime = try await store.trades(provider: options.provider, symbol: symbol, from: dayStart, to: dayEnd).filter { $0.sourceType == .realtime }
                edges += [realtime.first, realtime.last].compactMap { $0 }
            }
        }
        let window = Self.window(options, trades: edges)
        var results: [SymbolVerification] = []
        for (index, symbol) in options.symbols.enumerated() {
            let trades = try await store.trades(provider: options.provider, symbol: symbol, from: dayStart, to: dayEnd)
            results.append(try await verify(symbol, options, window: window, trades: trades))
            progress(index + 1, options.symbols.count)
        }
        let gaps = try await store.alerts(kind: "session.gap", from: dayStart, to: dayEnd)
            .filter { $0.provider == nil || $0.provider == options.provider }
            .map { VerificationReport.SessionGap(at: KST.clock(KST.secondOfDay($0.at), separator: ":"), provider: $0.provider?.rawValue, message: $0.message) }
        return VerificationReport(provider: options.provider, day: options.day, window: window, symbols: results, sessionGaps: gaps)
    }

    /// The window the options name, with trade-found edges resolved from the realtime trades stored.
    static func window(_ options: Options, trades: [StoredTrade]) -> MinuteWindow {
        let realtime = trades.filter { $0.sourceType == .realtime }.map { KST.secondOfDay($0.time) }
        func resolve(_ bound: Bound, fallback: Int) -> Int {
            switch bound {
            case .at(let second): second
            case .firstTrade: realtime.min().map { $0 - $0 % 60 + 60 } ?? fallback
            case .lastTrade: realtime.max().map { $0 - $0 % 60 } ?? fallback
            }
        }
        let from = resolve(options.from, fallback: MinuteWindow.session.from)
        return MinuteWindow(from: from, to: max(from, resolve(options.to, fallback: from)))
    }

    private func verify(_ symbol: String, _ options: Options, window: MinuteWindow, trades: [StoredTrade]) async throws -> SymbolVerification {
        let broker: [Candle]
        do {
            broker = try await HubWaits.retrying(clock: clock) {
                try await source.candles(provider: options.provider, symbol: symbol, interval: .oneMinute, from: options.day, to: options.day)
            }
        } catch let error as BrokerHubError where !HubWaits.waitsOut(error) {
            logger.warning("verify: symbol refused", metadata: ["verify.symbol": "\(symbol)", "error.code": "\(error.code)"])
            return SymbolVerification(symbol: symbol, error: "\(error.code): \(error.message)")
        }
        guard !broker.isEmpty else {
            return SymbolVerification(symbol: symbol, error: "the broker has no minute candles of \(symbol) on \(options.day.compact) (unknown symbol, or a day it no longer keeps)")
        }
        let stored = try await store.candles(
            provider: options.provider, symbol: symbol, interval: .oneMinute, from: options.day.start, to: options.day.adding(days: 1).start
        )
        let comparison = MinuteVerification.compare(
            symbol: symbol, day: options.day, window: window, broker: broker, trades: trades, stored: stored, tolerance: options.tolerance
        )
        if options.storeDerived {
            let now = clock.now
            try await store.writeCandles(Self.derivedCandles(comparison, day: options.day, broker: broker, now: now), checkpoint: nil, now: now)
        }
        return comparison.result
    }

    /// Complete minutes as `derived` candles: the stored trades' OHLCV; the broker's (last price, no volume) for a
    /// minute without trades.
    static func derivedCandles(_ comparison: MinuteVerification.Comparison, day: KSTDate, broker: [Candle], now: Date) -> [Candle] {
        var byMinute: [Int: Candle] = [:]
        for candle in broker where KSTDate(candle.start) == day { byMinute[KST.secondOfDay(candle.start)] = candle }
        return comparison.complete.compactMap { minute, trades -> Candle? in
            guard var out = byMinute[minute] else { return nil }
            if let bar = trades {
                out.open = bar.open; out.high = bar.high; out.low = bar.low; out.close = bar.close; out.volume = bar.volume
                out.tradingValue = nil
            }
            out.sourceType = .derived
            out.receivedAt = now
            return out
        }
    }
}
