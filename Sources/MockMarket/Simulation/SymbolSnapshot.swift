import BrokerCore
import Foundation

/// One symbol's state at an instant of the session: what a quote shows.
public struct SymbolSnapshot: Sendable, Hashable {
    public var symbol: MockSymbol
    /// The session the snapshot belongs to (the last trading day when the market is closed).
    public var date: KSTDate
    /// Trades so far in the session.
    public var tradeCount: Int
    public var price: Int64
    /// Zero until the first trade.
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var volume: Int64
    public var value: Int64
    public var previousClose: Int64
    public var upperLimit: Int64
    public var lowerLimit: Int64
    public var halted: Bool
    /// Second of day of the last trade, if any.
    public var lastTradeSecond: Int?
    /// Shares of the last trade.
    public var lastVolume: Int64

    public var change: Int64 { price - previousClose }

    /// KIS/Kiwoom direction code: 1 upper limit, 2 up, 3 unchanged, 4 lower limit, 5 down.
    public var signCode: String {
        if price == upperLimit, price > previousClose { return "1" }
        if price == lowerLimit, price < previousClose { return "4" }
        return price > previousClose ? "2" : (price < previousClose ? "5" : "3")
    }

    /// Change in percent with two decimals, signed.
    public var changeRate: FixedDecimal {
        guard previousClose > 0 else { return .zero }
        let basisPoints = (change * 10_000 + (change >= 0 ? previousClose / 2 : -previousClose / 2)) / previousClose
        return FixedDecimal(mantissa: basisPoints, scale: 2)
    }
}
