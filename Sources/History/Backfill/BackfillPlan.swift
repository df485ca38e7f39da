import Archiver
import BrokerCore
import Foundation
import Realtime

/// What backfill stores for one symbol (pure): the broker's candle of every minute a verification left unaccounted
/// for, marked `backfill`; and the broker's trades in those minutes that are not stored yet.
///
/// Trades are matched by time (to the second), price and shares, as a multiset: a minute with two stored 10-share
/// trades at 70,100 at 10:03:05 takes only a third such trade from the broker. Each recovered trade gets an id made of
/// what identifies it and its occurrence, so storing the same plan twice stores it once.
public enum BackfillPlan {
    /// Minutes of `symbol` to act on (seconds of day): every finding not yet closed by a backfilled candle, and with
    /// `includingBackfilled` those too (their trades may be recoverable now).
    public static func minutes(_ symbol: SymbolVerification, includingBackfilled: Bool = true) -> Set<Int> {
        Set(symbol.findings.filter { includingBackfilled || $0.status != .backfilled }.compactMap(\.secondOfDay))
    }

    /// The broker's candles of `minutes` on `day`, marked `backfill` and fetched `now`.
    public static func candles(_ broker: [Candle], minutes: Set<Int>, day: KSTDate, now: Date) -> [Candle] {
        broker.compactMap { candle in
            guard KSTDate(candle.start) == day, minutes.contains(KST.secondOfDay(candle.start)) else { return nil }
            var out = candle
            out.sourceType = .backfill
            out.receivedAt = now
            return out
        }
    }

    /// The broker's trades in `minutes` of `day` that `stored` does not hold, as events for the archive (channel
    /// `ticker`, source `backfill`, counted apart in the ledger).
    public static func trades(
        _ fetched: [Tick], stored: [StoredTrade], minutes: Set<Int>, day: KSTDate, provider: Provider, symbol: String, now: Date
    ) -> [RealtimeEvent] {
        struct Key: Hashable {
            var second: Int64
            var price: Int64
            var volume: Int64
        }
        func inScope(_ time: Date) -> Bool {
            guard KSTDate(time) == day else { return false }
            let second = KST.secondOfDay(time)
            return minutes.contains(second - second % 60)
        }
        var have: [Key: Int] = [:]
        for trade in stored where inScope(trade.time) {
            have[Key(second: KST.wholeSeconds(trade.time), price: trade.price, volume: trade.volume), default: 0] += 1
        }
        var seen: [Key: Int] = [:]
        var events: [RealtimeEvent] = []
        for trade in fetched where inScope(trade.time) {
            let key = Key(second: KST.wholeSeconds(trade.time), price: trade.price, volume: trade.volume)
            let occurrence = seen[key, default: 0]
            seen[key] = occurrence + 1
            guard occurrence >= have[key, default: 0] else { continue }
            var tick = trade
            tick.provider = provider
            tick.symbol = symbol
            tick.sourceType = .backfill
            tick.receivedAt = now
            let id = "backfill-\(provider.rawValue)-\(symbol)-\(KST.compactDateTime(trade.time))-\(trade.price)-\(trade.volume)-\(occurrence)"
            events.append(RealtimeEvent(id: id, channel: .ticker, provider: provider, symbol: symbol, receivedAt: now, payload: .tick(tick)))
        }
        return events
    }
}
