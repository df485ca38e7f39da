import Archiver
import BrokerCore
import Foundation

/// Verification of one symbol's day (pure): the minute candles its stored trades make (`derived`) against the
/// broker's minute candles, minute by minute.
///
/// A minute is *complete* when the stored trades reproduce the broker's candle — volume exactly (within `volume`),
/// open, high, low and close within `price`; a minute without trades is complete when the broker has no volume
/// either. Otherwise it is *missing* (no stored trades), *short* (less volume) or *differ*; and it is *backfilled*
/// when a backfilled candle equal to the broker's is stored for it (the trades themselves could not all be recovered).
/// A minute the broker has no candle for is not checked, nor the broker's newest minute while the session is still
/// running: it may still be forming.
public enum MinuteVerification {
    public struct Tolerance: Sendable, Hashable {
        /// KRW a price may differ by.
        public var price: Int64
        /// Shares the volume may differ by.
        public var volume: Int64

        public init(price: Int64 = 0, volume: Int64 = 0) {
            self.price = price
            self.volume = volume
        }
    }

    /// The window's minutes that can be checked against `broker`: the broker's newest candle is left out unless it is
    /// the session's last minute (before then it may still be forming).
    public static func checkable(_ window: MinuteWindow, broker: [Candle], day: KSTDate) -> MinuteWindow {
        guard let newest = broker.map({ KST.secondOfDay($0.start) }).max() else { return MinuteWindow(from: window.from, to: window.from) }
        let end = newest >= MinuteWindow.lastMinute ? newest + 60 : newest
        return MinuteWindow(from: window.from, to: min(window.to, end))
    }

    /// A verification with the minutes it found complete, each with the candle its stored trades make (nil: a minute
    /// without trades, where the broker has no volume either) — what `Verifier` stores as `derived` candles.
    public struct Comparison: Sendable {
        public var result: SymbolVerification
        public var complete: [(minute: Int, trades: MinuteBar?)]
    }

    public static func verify(
        symbol: String, day: KSTDate, window: MinuteWindow, broker: [Candle], trades: [StoredTrade], stored: [Candle],
        tolerance: Tolerance = Tolerance()
    ) -> SymbolVerification {
        compare(symbol: symbol, day: day, window: window, broker: broker, trades: trades, stored: stored, tolerance: tolerance).result
    }

    public static func compare(
        symbol: String, day: KSTDate, window: MinuteWindow, broker: [Candle], trades: [StoredTrade], stored: [Candle],
        tolerance: Tolerance = Tolerance()
    ) -> Comparison {
        let expected = byMinute(broker, day: day)
        let backfilled = byMinute(stored.filter { $0.sourceType == .backfill }, day: day)
        let derived = derive(trades, day: day)
        var result = SymbolVerification(symbol: symbol)
        var complete: [(minute: Int, trades: MinuteBar?)] = []
        for minute in checkable(window, broker: broker, day: day).minutes {
            guard let want = expected[minute] else { continue }
            result.counts.checked += 1
            let have = derived[minute]
            result.counts.backfilledTrades += have?.backfilledTrades ?? 0
            guard let status = status(want: want, have: have?.bar, tolerance: tolerance) else {
                result.counts.complete += 1
                complete.append((minute, have?.bar))
                continue
            }
            let missingVolume = want.volume - (have?.bar.volume ?? 0)
            var finding = MinuteFinding(
                minute: MinuteWindow.label(minute), status: status, expected: want, derived: have?.bar,
                missingVolume: missingVolume, backfilledTrades: have?.backfilledTrades ?? 0
            )
            if let candle = backfilled[minute], matches(candle, want, tolerance: tolerance) {
                finding.status = .backfilled
                result.counts.backfilled += 1
                result.counts.unrecoveredVolume += max(0, missingVolume)
            } else {
                switch status {
                case .missing: result.counts.missing += 1
                case .short: result.counts.short += 1
                default: result.counts.differ += 1
                }
            }
            result.counts.missingVolume += max(0, missingVolume)
            result.findings.append(finding)
        }
        return Comparison(result: result, complete: complete)
    }

    /// Nil when `have` reproduces `want`; otherwise what is wrong.
    static func status(want: MinuteBar, have: MinuteBar?, tolerance: Tolerance) -> MinuteFinding.Status? {
        guard let have else { return want.volume > tolerance.volume ? .missing : nil }
        if have.volume < want.volume - tolerance.volume { return .short }
        if have.volume > want.volume + tolerance.volume { return .differ }
        if want.volume == 0 { return nil }
        return matches(have, want, tolerance: tolerance) ? nil : .differ
    }

    static func matches(_ a: MinuteBar, _ b: MinuteBar, tolerance: Tolerance) -> Bool {
        abs(a.open - b.open) <= tolerance.price && abs(a.high - b.high) <= tolerance.price && abs(a.low - b.low) <= tolerance.price
            && abs(a.close - b.close) <= tolerance.price && abs(a.volume - b.volume) <= tolerance.volume
    }

    /// The minute candles `trades` make on `day` (in the order given: oldest first), by KST minute start.
    public static func derive(_ trades: [StoredTrade], day: KSTDate) -> [Int: (bar: MinuteBar, backfilledTrades: Int)] {
        var minutes: [Int: (bar: MinuteBar, backfilledTrades: Int)] = [:]
        for trade in trades where KSTDate(trade.time) == day {
            let second = KST.secondOfDay(trade.time)
            let minute = second - second % 60
            let backfilled = trade.sourceType == .backfill ? 1 : 0
            if var entry = minutes[minute] {
                entry.bar.high = max(entry.bar.high, trade.price)
                entry.bar.low = min(entry.bar.low, trade.price)
                entry.bar.close = trade.price
                entry.bar.volume += trade.volume
                entry.backfilledTrades += backfilled
                minutes[minute] = entry
            } else {
                minutes[minute] = (MinuteBar(open: trade.price, high: trade.price, low: trade.price, close: trade.price, volume: trade.volume), backfilled)
            }
        }
        return minutes
    }

    private static func byMinute(_ candles: [Candle], day: KSTDate) -> [Int: MinuteBar] {
        var bars: [Int: MinuteBar] = [:]
        for candle in candles where KSTDate(candle.start) == day { bars[KST.secondOfDay(candle.start)] = MinuteBar(candle) }
        return bars
    }
}
