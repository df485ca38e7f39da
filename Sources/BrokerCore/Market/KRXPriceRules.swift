/// KRX price rules: tick sizes (호가가격단위, since 2023) and the ±30 % daily price limit.
public enum KRXPriceRules {
    /// The tick size at a price.
    public static func tickSize(at price: Int64) -> Int64 {
        switch price {
        case ..<2_000: 1
        case ..<5_000: 5
        case ..<20_000: 10
        case ..<50_000: 50
        case ..<200_000: 100
        case ..<500_000: 500
        default: 1_000
        }
    }

    /// The nearest valid price at or below `price`.
    public static func roundDown(_ price: Int64) -> Int64 {
        let tick = tickSize(at: price)
        return max(1, price - price % tick)
    }

    /// The nearest valid price at or above `price`.
    public static func roundUp(_ price: Int64) -> Int64 {
        let down = roundDown(price)
        return down == price ? price : roundDown(down + tickSize(at: down))
    }

    /// The valid price nearest to `price`.
    public static func round(_ price: Int64) -> Int64 {
        let down = roundDown(price), up = roundUp(price)
        return price - down <= up - price ? down : up
    }

    /// Whether `price` sits on the tick grid.
    public static func isValid(_ price: Int64) -> Bool { price > 0 && price % tickSize(at: price) == 0 }

    /// Upper limit (상한가): previous close + 30 %, rounded down to a valid price.
    public static func upperLimit(previousClose: Int64) -> Int64 { roundDown(previousClose * 13 / 10) }

    /// Lower limit (하한가): previous close − 30 %, rounded up to a valid price.
    public static func lowerLimit(previousClose: Int64) -> Int64 { roundUp((previousClose * 7 + 9) / 10) }

    /// The price one tick above.
    public static func tickUp(_ price: Int64) -> Int64 { roundDown(price + tickSize(at: price)) }

    /// The price one tick below.
    public static func tickDown(_ price: Int64) -> Int64 {
        let below = price - 1
        return below < 1 ? 1 : roundDown(below)
    }
}
