import BrokerCore
import Foundation

extension MarketSimulator {
    /// The daily bar of `day`: complete days come from the daily series (no trades generated; traded value
    /// estimated), the running session from its trades up to `instant`.
    public func dailyBar(_ symbol: MockSymbol, on day: KSTDate, asOf instant: Date? = nil) -> CandleBar? {
        guard let index = index(of: day) else { return nil }
        if let instant, KSTDate(instant) < day { return nil }
        let series = daily(symbol)
        let previous = series.previousClose(index)
        if let instant, KSTDate(instant) == day, !series.halted[index], let session = session(symbol, on: day) {
            let count = session.tradeCount(through: KST.secondOfDay(instant))
            guard count > 0 else { return nil }
            let state = snapshot(session, symbol: symbol, tradeCount: count)
            return CandleBar(
                date: day, second: 0, open: state.open, high: state.high, low: state.low, close: state.price,
                volume: state.volume, value: state.value, previousClose: previous, halted: false
            )
        }
        return CandleBar(
            date: day, second: 0, open: series.opens[index], high: series.highs[index], low: series.lows[index],
            close: series.closes[index], volume: series.volumes[index], value: series.estimatedValue(index),
            previousClose: previous, halted: series.halted[index]
        )
    }

    /// Daily bars from `start` through `end` (inclusive, ascending), as of `instant`.
    public func dailyBars(_ symbol: MockSymbol, from start: KSTDate, through end: KSTDate, asOf instant: Date) -> [CandleBar] {
        let last = min(end, KSTDate(instant))
        guard start <= last else { return [] }
        guard let first = tradingDays.firstIndex(where: { $0 >= start }) else { return [] }
        var bars: [CandleBar] = []
        for day in tradingDays[first...] {
            if day > last { break }
            if let bar = dailyBar(symbol, on: day, asOf: instant) { bars.append(bar) }
        }
        return bars
    }

    /// Weekly (`.week`), monthly (`.month`) or yearly (`.year`) bars built from daily bars; each is dated
    /// by its first trading day.
    public func periodBars(_ symbol: MockSymbol, unit: CandleInterval.Unit, from start: KSTDate, through end: KSTDate, asOf instant: Date) -> [CandleBar] {
        let days = dailyBars(symbol, from: start, through: end, asOf: instant)
        guard unit != .day else { return days }
        func period(_ date: KSTDate) -> Int {
            switch unit {
            case .week: (date.daysSinceEpoch + 3) / 7 // weeks starting on Monday
            case .month: date.year * 12 + date.month
            default: date.year
            }
        }
        var bars: [CandleBar] = []
        for bar in days {
            if let current = bars.last, period(current.date) == period(bar.date) {
                var merged = current
                merged.high = max(merged.high, bar.high)
                merged.low = min(merged.low, bar.low)
                merged.close = bar.close
                merged.volume += bar.volume
                merged.value += bar.value
                merged.halted = merged.halted && bar.halted
                bars[bars.count - 1] = merged
            } else {
                bars.append(bar)
            }
        }
        return bars
    }

    /// `scope`-minute bars of `day` from 09:00 through the bar containing `second` (KST second of day),
    /// ascending. Minutes without trades repeat the last price with zero volume.
    public func minuteBars(_ symbol: MockSymbol, on day: KSTDate, through second: Int, scope: Int = 1) -> [CandleBar] {
        guard let session = session(symbol, on: day), !session.halted else { return [] }
        let width = max(1, scope) * 60
        let end = min(second, IntradaySession.sessionStart + IntradaySession.sessionLength - 1)
        guard end >= IntradaySession.sessionStart else { return [] }
        var bars: [CandleBar] = []
        var trade = 0
        var lastPrice = session.previousClose
        var bucket = IntradaySession.sessionStart
        while bucket <= end {
            let bucketEnd = bucket + width
            var bar = CandleBar(date: day, second: bucket, open: lastPrice, high: lastPrice, low: lastPrice, close: lastPrice, volume: 0, value: 0, previousClose: session.previousClose, halted: false)
            var first = true
            while trade < session.tradeCount, Int(session.seconds[trade]) < bucketEnd, Int(session.seconds[trade]) <= second {
                let price = session.prices[trade]
                if first {
                    bar.open = price
                    bar.high = price
                    bar.low = price
                    first = false
                }
                bar.high = max(bar.high, price)
                bar.low = min(bar.low, price)
                bar.close = price
                bar.volume += Int64(session.volumes[trade])
                bar.value += Int64(session.volumes[trade]) * price
                lastPrice = price
                trade += 1
            }
            bars.append(bar)
            bucket = bucketEnd
        }
        return bars
    }

    /// `scope`-trade bars of `day` through `second`, ascending; each is dated by its last trade.
    public func tickBars(_ symbol: MockSymbol, on day: KSTDate, through second: Int, scope: Int = 1) -> [CandleBar] {
        guard let session = session(symbol, on: day) else { return [] }
        let count = session.tradeCount(through: second)
        var bars: [CandleBar] = []
        var start = 0
        while start < count {
            let end = min(count, start + max(1, scope))
            var bar = CandleBar(date: day, second: Int(session.seconds[end - 1]), open: session.prices[start], high: session.prices[start], low: session.prices[start], close: session.prices[end - 1], volume: 0, value: 0, previousClose: session.previousClose, halted: false)
            for index in start..<end {
                bar.high = max(bar.high, session.prices[index])
                bar.low = min(bar.low, session.prices[index])
                bar.volume += Int64(session.volumes[index])
                bar.value += Int64(session.volumes[index]) * session.prices[index]
            }
            bars.append(bar)
            start = end
        }
        return bars
    }
}
