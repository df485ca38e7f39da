import BrokerCore
import Foundation

/// Every trade of one symbol on one trading day: a seeded bridge from the day's open to its close on the
/// tick grid, within the daily limits, spread over the regular session (09:00–15:30 KST).
public final class IntradaySession: Sendable {
    public static let sessionStart = 9 * 3600
    public static let sessionLength = 23_400

    public let symbol: String
    public let date: KSTDate
    public let previousClose: Int64
    public let upperLimit: Int64
    public let lowerLimit: Int64
    public let halted: Bool
    /// Second of day (KST) of each trade, non-decreasing.
    public let seconds: [Int32]
    public let prices: [Int64]
    /// Shares of each trade.
    public let volumes: [Int32]
    /// Whether each trade was buyer-initiated.
    public let buys: [Bool]
    /// Running totals after each trade.
    public let cumulativeVolume: [Int64]
    public let cumulativeValue: [Int64]
    public let runningHigh: [Int64]
    public let runningLow: [Int64]

    init(symbol: MockSymbol, date: KSTDate, open: Int64, close: Int64, previousClose: Int64, halted: Bool, seed: UInt64) {
        self.symbol = symbol.code
        self.date = date
        self.previousClose = previousClose
        self.upperLimit = KRXPriceRules.upperLimit(previousClose: previousClose)
        self.lowerLimit = KRXPriceRules.lowerLimit(previousClose: previousClose)
        self.halted = halted
        let dayKey = SeededRandom.hash(seed, symbol.key, UInt64(bitPattern: Int64(date.daysSinceEpoch)), 0x494E_5452)
        let count = halted ? 0 : max(2, Int(Double(symbol.tradesPerDay) * (0.7 + 0.6 * SeededRandom.unit(dayKey))))
        var seconds = [Int32](), prices = [Int64](), volumes = [Int32](), buys = [Bool]()
        var cumulativeVolume = [Int64](), cumulativeValue = [Int64](), runningHigh = [Int64](), runningLow = [Int64]()
        if count > 0 {
            seconds.reserveCapacity(count)
            prices.reserveCapacity(count)
            let step = Double(previousClose) * symbol.dailyVolatility * 0.8 / Double(count).squareRoot()
            // Pass 1: the free walk's end point, so that pass 2 can bend it into a bridge ending at `close`.
            var walk = 0.0
            for index in 1..<count { walk += step * SeededRandom.normal(SeededRandom.hash(dayKey, UInt64(index))) }
            let correction = walk - Double(close - open)
            let meanSize = max(1.0, 4_000_000.0 / Double(previousClose))
            var position = 0.0, volumeTotal: Int64 = 0, valueTotal: Int64 = 0
            var high = Int64.min, low = Int64.max, last = open
            for index in 0..<count {
                if index > 0 { position += step * SeededRandom.normal(SeededRandom.hash(dayKey, UInt64(index))) }
                let fraction = count > 1 ? Double(index) / Double(count - 1) : 1
                var price = KRXPriceRules.round(Int64(Double(open) + position - fraction * correction))
                if index == 0 { price = open }
                if index == count - 1 { price = close }
                price = clamp(price, lowerLimit, upperLimit)
                let noise = SeededRandom.hash(dayKey, UInt64(index), 0x564F_4C)
                let second = Self.sessionStart + Int((Double(index) + 0.5 + 0.8 * (SeededRandom.unit(noise) - 0.5)) * Double(Self.sessionLength) / Double(count))
                let volume = Int32(1 + Int(-log(1 - SeededRandom.unit(SeededRandom.mix(noise))) * meanSize))
                let buy = price > last ? true : (price < last ? false : noise & 1 == 0)
                volumeTotal += Int64(volume)
                valueTotal += Int64(volume) * price
                high = max(high, price)
                low = min(low, price)
                seconds.append(Int32(second))
                prices.append(price)
                volumes.append(volume)
                buys.append(buy)
                cumulativeVolume.append(volumeTotal)
                cumulativeValue.append(valueTotal)
                runningHigh.append(high)
                runningLow.append(low)
                last = price
            }
        }
        self.seconds = seconds
        self.prices = prices
        self.volumes = volumes
        self.buys = buys
        self.cumulativeVolume = cumulativeVolume
        self.cumulativeValue = cumulativeValue
        self.runningHigh = runningHigh
        self.runningLow = runningLow
    }

    public var tradeCount: Int { prices.count }

    /// How many trades happened at or before `second` (second of day, KST).
    public func tradeCount(through second: Int) -> Int {
        var low = 0, high = seconds.count
        while low < high {
            let middle = (low + high) / 2
            if Int(seconds[middle]) <= second { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
