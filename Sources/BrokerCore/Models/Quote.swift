import Foundation

/// A snapshot of one symbol's current price and session statistics.
public struct Quote: Sendable, Hashable {
    public var provider: Provider
    public var symbol: String
    public var name: String?
    /// Exchange time of the snapshot; REST quotes carry none, so it is the receive time.
    public var time: Date
    public var receivedAt: Date?
    public var price: Int64
    /// Signed change against the previous close.
    public var change: Int64
    /// Signed change in percent (e.g. `-0.14`).
    public var changeRate: FixedDecimal
    public var open: Int64
    public var high: Int64
    public var low: Int64
    /// Accumulated volume of the session.
    public var volume: Int64
    /// Accumulated traded value in KRW when reported.
    public var tradingValue: Int64?
    public var previousClose: Int64?
    public var upperLimit: Int64?
    public var lowerLimit: Int64?
    public var askPrice: Int64?
    public var bidPrice: Int64?
    /// Shares waiting at the best ask / best bid, when the transaction carries them.
    public var askSize: Int64?
    public var bidSize: Int64?
    /// Listed shares, when the transaction carries them (turnover rate).
    public var listedShares: Int64?
    /// True when the broker marks the symbol as halted.
    public var halted: Bool
    /// The broker's market-warning code when one is in force (KIS `mrkt_warn_cls_code` other than `00`:
    /// caution, warning, risk), or a volatility interruption (`vi:` + `vi_cls_code`); nil when none.
    public var warning: String?
    public var sourceType: SourceType

    public init(
        provider: Provider, symbol: String, name: String? = nil, time: Date, receivedAt: Date? = nil,
        price: Int64, change: Int64, changeRate: FixedDecimal, open: Int64, high: Int64, low: Int64,
        volume: Int64, tradingValue: Int64? = nil, previousClose: Int64? = nil,
        upperLimit: Int64? = nil, lowerLimit: Int64? = nil, askPrice: Int64? = nil, bidPrice: Int64? = nil,
        askSize: Int64? = nil, bidSize: Int64? = nil, listedShares: Int64? = nil,
        halted: Bool = false, warning: String? = nil, sourceType: SourceType
    ) {
        self.provider = provider
        self.symbol = symbol
        self.name = name
        self.time = time
        self.receivedAt = receivedAt
        self.price = price
        self.change = change
        self.changeRate = changeRate
        self.open = open
        self.high = high
        self.low = low
        self.volume = volume
        self.tradingValue = tradingValue
        self.previousClose = previousClose
        self.upperLimit = upperLimit
        self.lowerLimit = lowerLimit
        self.askPrice = askPrice
        self.bidPrice = bidPrice
        self.askSize = askSize
        self.bidSize = bidSize
        self.listedShares = listedShares
        self.halted = halted
        self.warning = warning
        self.sourceType = sourceType
    }
}
