import BrokerCore
import Foundation

/// Every trade of one symbol on one trading day: a seeded bridge from the day's open to its close on the
/// tick grid, shaped to hit the day's high and low and to add up to its volume exactly (so the daily bar,
/// computed without trades, always agrees), spread over the regular session (09:00–15:30 KST).
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

    /// The day's bar that the trades must reproduce exactly.
    struct Bar {
        var open: Int64
        var high: Int64
        var low: Int64
        var close: Int64
        var volume: Int64
        var count: Int
    }

    init(symbol: MockSymbol, date: KSTDate, bar: Bar, previousClose: Int64, halted: Bool, seed: UInt64) {
        self.symbol = symbol.code
        self.date = date
        self.previousClose = previousClose
        self.upperLimit = KRXPriceRules.upperLimit(previousClose: previousClose)
        self.lowerLimit = KRXPriceRules.lowerLimit(previousClose: previousClose)
        self.halted = halted
        let dayKey = SeededRandom.hash(seed, symbol.key, UInt64(bitPattern: Int64(date.daysSinceEpoch)), 0x494E_5452)
        let count = halted ? 0 : bar.count
        var prices = [Int64](repeating: bar.open, count: count)
        var volumes = [Int32](repeating: 1, count: count)
        var seconds = [Int32](repeating: 0, count: count)
        if count > 0 {
            // A seeded walk bent into a bridge from the open to the close…
            let step = Double(previousClose) * symbol.dailyVolatility * 0.8 / Double(count).squareRoot()
            var raw = [Double](repeating: 0, count: count)
            var position = 0.0
            for index in 1..<count {
                position += step * SeededRandom.normal(SeededRandom.hash(dayKey, UInt64(index)))
                raw[index] = position
            }
            let correction = raw[count - 1] - Double(bar.close - bar.open)
            for index in 0..<count {
                raw[index] = Double(bar.open) + raw[index] - Double(index) / Double(max(count - 1, 1)) * correction
            }
            // …then mapped piecewise-linearly so that its extremes are exactly the day's high and low.
            let top = Double(max(bar.open, bar.close)), bottom = Double(min(bar.open, bar.close))
            let rawHigh = raw.max()!, rawLow = raw.min()!
            for index in 0..<count {
                var value = raw[index]
                if value > top { value = rawHigh > top ? top + (value - top) * (Double(bar.high) - top) / (rawHigh - top) : top }
                if value < bottom { value = rawLow < bottom ? bottom - (bottom - value) * (bottom - Double(bar.low)) / (bottom - rawLow) : bottom }
                prices[index] = clamp(KRXPriceRules.round(Int64(value)), bar.low, bar.high)
            }
            prices[0] = bar.open
            prices[count - 1] = bar.close
            if count > 2 {
                let inner = 1..<(count - 1)
                let highIndex = inner.max { raw[$0] < raw[$1] }!
                var lowIndex = inner.min { raw[$0] < raw[$1] }!
                if lowIndex == highIndex { lowIndex = highIndex == 1 ? 2 : 1 }
                if prices.max()! < bar.high { prices[highIndex] = bar.high }
                if prices.min()! > bar.low, lowIndex < count - 1 { prices[lowIndex] = bar.low }
            }
            // Volumes: seeded sizes scaled to the day's volume exactly.
            var weights = [Double](repeating: 1, count: count)
            var totalWeight = 0.0
            for index in 0..<count {
                let noise = SeededRandom.hash(dayKey, UInt64(index), 0x564F_4C)
                weights[index] = -log(1 - SeededRandom.unit(SeededRandom.mix(noise))) + 0.05
                totalWeight += weights[index]
                seconds[index] = Int32(Self.sessionStart + Int((Double(index) + 0.5 + 0.8 * (SeededRandom.unit(noise) - 0.5)) * Double(Self.sessionLength) / Double(count)))
            }
            let spare = Double(bar.volume - Int64(count))
            var assigned: Int64 = 0
            for index in 0..<count {
                let size = 1 + Int64(spare * weights[index] / totalWeight)
                volumes[index] = Int32(clamping: size)
                assigned += Int64(volumes[index])
            }
            var remainder = bar.volume - assigned
            var index = count - 1
            while remainder != 0 {
                let room = remainder > 0 ? min(remainder, Int64(Int32.max) - Int64(volumes[index])) : max(remainder, 1 - Int64(volumes[index]))
                volumes[index] += Int32(room)
                remainder -= room
                index = index == 0 ? count - 1 : index - 1
            }
        }
        var buys = [Bool](), cumulativeVolume = [Int64](), cumulativeValue = [Int64](), runningHigh = [Int64](), runningLow = [Int64]()
        buys.reserveCapacity(count)
        var volumeTotal: Int64 = 0, valueTotal: Int64 = 0, high = Int64.min, low = Int64.max, last = bar.open
        for index in 0..<count {
            let price = prices[index]
            let noise = SeededRandom.hash(dayKey, UInt64(index), 0x5349_4445)
            buys.append(price > last ? true : (price < last ? false : noise & 1 == 0))
            volumeTotal += Int64(volumes[index])
            valueTotal += Int64(volumes[index]) * price
            high = max(high, price)
            low = min(low, price)
            cumulativeVolume.append(volumeTotal)
            cumulativeValue.append(valueTotal)
            runningHigh.append(high)
            runningLow.append(low)
            last = price
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
