import BrokerCore
import Foundation

/// One symbol's daily bars over the simulator's trading days, computed without generating trades: a seeded
/// random walk of closes on the tick grid within ±30 %, with each day's open, high, low, volume and trade
/// count drawn from the seed. Intraday sessions are then generated to match these exactly (see
/// `IntradaySession`), so a daily bar never needs its trades. Halt days keep the previous close and have
/// no trades.
public struct DailySeries: Sendable {
    public let opens: [Int64]
    public let highs: [Int64]
    public let lows: [Int64]
    public let closes: [Int64]
    public let volumes: [Int64]
    public let tradeCounts: [Int]
    public let halted: [Bool]
    public let basePrice: Int64

    init(symbol: MockSymbol, days: [KSTDate], seed: UInt64, haltProbability: Double) {
        var opens: [Int64] = [], highs: [Int64] = [], lows: [Int64] = [], closes: [Int64] = []
        var volumes: [Int64] = [], counts: [Int] = [], halted: [Bool] = []
        opens.reserveCapacity(days.count)
        closes.reserveCapacity(days.count)
        var previous = symbol.basePrice
        for day in days {
            let key = SeededRandom.hash(seed, symbol.key, UInt64(bitPattern: Int64(day.daysSinceEpoch)), 0x4441_494C)
            let upper = KRXPriceRules.upperLimit(previousClose: previous)
            let lower = KRXPriceRules.lowerLimit(previousClose: previous)
            if SeededRandom.unit(SeededRandom.mix(key ^ 7)) < haltProbability {
                opens.append(previous)
                highs.append(previous)
                lows.append(previous)
                closes.append(previous)
                volumes.append(0)
                counts.append(0)
                halted.append(true)
                continue
            }
            let move = max(-0.25, min(0.25, symbol.dailyVolatility * SeededRandom.normal(key)))
            // A slight pull towards the base price keeps years of history in a sane range.
            let drift = 0.02 * symbol.dailyVolatility * log(Double(symbol.basePrice) / Double(previous))
            let close = clamp(KRXPriceRules.round(Int64(Double(previous) * exp(move + drift))), lower, upper)
            let gap = 0.3 * symbol.dailyVolatility * SeededRandom.normal(SeededRandom.mix(key ^ 3))
            let open = clamp(KRXPriceRules.round(Int64(Double(previous) * (1 + gap))), lower, upper)
            let upExcursion = abs(SeededRandom.normal(SeededRandom.mix(key ^ 11))) * symbol.dailyVolatility * 0.5
            let downExcursion = abs(SeededRandom.normal(SeededRandom.mix(key ^ 13))) * symbol.dailyVolatility * 0.5
            let high = clamp(KRXPriceRules.roundUp(Int64(Double(max(open, close)) * (1 + upExcursion))), max(open, close), upper)
            let low = clamp(KRXPriceRules.roundDown(Int64(Double(min(open, close)) * (1 - downExcursion))), lower, min(open, close))
            let count = Self.tradeCount(symbol: symbol, key: key)
            let meanSize = max(1.0, 4_000_000.0 / Double(previous))
            let volume = max(Int64(count), Int64(Double(count) * meanSize * (0.6 + 0.8 * SeededRandom.unit(SeededRandom.mix(key ^ 17)))))
            opens.append(open)
            highs.append(high)
            lows.append(low)
            closes.append(close)
            volumes.append(volume)
            counts.append(count)
            halted.append(false)
            previous = close
        }
        self.opens = opens
        self.highs = highs
        self.lows = lows
        self.closes = closes
        self.volumes = volumes
        self.tradeCounts = counts
        self.halted = halted
        self.basePrice = symbol.basePrice
    }

    /// Trades in a regular session: the symbol's average, ±30 %, at least 3.
    static func tradeCount(symbol: MockSymbol, key: UInt64) -> Int {
        max(3, Int(Double(symbol.tradesPerDay) * (0.7 + 0.6 * SeededRandom.unit(SeededRandom.mix(key ^ 19)))))
    }

    /// The close before day `index`.
    public func previousClose(_ index: Int) -> Int64 { index == 0 ? basePrice : closes[index - 1] }

    /// Traded value of day `index`, estimated from its bar (used for days whose trades are not generated).
    public func estimatedValue(_ index: Int) -> Int64 {
        volumes[index] * (opens[index] + highs[index] + lows[index] + closes[index]) / 4
    }
}

@inline(__always)
func clamp(_ value: Int64, _ lower: Int64, _ upper: Int64) -> Int64 { min(max(value, lower), upper) }
