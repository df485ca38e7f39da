import BrokerCore
import Foundation

/// One symbol's daily opens and closes over the simulator's trading days (a seeded random walk within
/// the ±30 % limit, on the tick grid). Halt days keep the previous close and have no trades.
public struct DailySeries: Sendable {
    public let opens: [Int64]
    public let closes: [Int64]
    public let halted: [Bool]
    public let basePrice: Int64

    init(symbol: MockSymbol, days: [KSTDate], seed: UInt64, haltProbability: Double) {
        var opens: [Int64] = [], closes: [Int64] = [], halted: [Bool] = []
        opens.reserveCapacity(days.count)
        closes.reserveCapacity(days.count)
        halted.reserveCapacity(days.count)
        var previous = symbol.basePrice
        for day in days {
            let key = SeededRandom.hash(seed, symbol.key, UInt64(bitPattern: Int64(day.daysSinceEpoch)), 0x4441_494C)
            let upper = KRXPriceRules.upperLimit(previousClose: previous)
            let lower = KRXPriceRules.lowerLimit(previousClose: previous)
            if SeededRandom.unit(SeededRandom.mix(key ^ 7)) < haltProbability {
                opens.append(previous)
                closes.append(previous)
                halted.append(true)
                continue
            }
            let move = max(-0.25, min(0.25, symbol.dailyVolatility * SeededRandom.normal(key)))
            // A slight pull towards the base price keeps decades of history in a sane range.
            let drift = 0.02 * symbol.dailyVolatility * log(Double(symbol.basePrice) / Double(previous))
            let close = clamp(KRXPriceRules.round(Int64(Double(previous) * exp(move + drift))), lower, upper)
            let gap = 0.3 * symbol.dailyVolatility * SeededRandom.normal(SeededRandom.mix(key ^ 3))
            let open = clamp(KRXPriceRules.round(Int64(Double(previous) * (1 + gap))), lower, upper)
            opens.append(open)
            closes.append(close)
            halted.append(false)
            previous = close
        }
        self.opens = opens
        self.closes = closes
        self.halted = halted
        self.basePrice = symbol.basePrice
    }

    /// The close before day `index`.
    public func previousClose(_ index: Int) -> Int64 { index == 0 ? basePrice : closes[index - 1] }
}

@inline(__always)
func clamp(_ value: Int64, _ lower: Int64, _ upper: Int64) -> Int64 { min(max(value, lower), upper) }
