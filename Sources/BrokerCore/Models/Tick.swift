import Foundation

/// One trade (체결).
public struct Tick: Sendable, Hashable {
    public var provider: Provider
    public var symbol: String
    /// Exchange time of the trade.
    public var time: Date
    /// When BrokerHub received the frame (realtime records only).
    public var receivedAt: Date?
    public var price: Int64
    /// Shares in this trade (always positive).
    public var volume: Int64
    public var side: TradeSide
    /// Signed change against the previous close.
    public var change: Int64
    /// Signed change in percent.
    public var changeRate: FixedDecimal
    /// Accumulated session volume after this trade, when reported.
    public var cumVolume: Int64?
    /// Accumulated session traded value in KRW, when reported.
    public var cumValue: Int64?
    public var open: Int64?
    public var high: Int64?
    public var low: Int64?
    public var askPrice: Int64?
    public var bidPrice: Int64?
    /// KIS `MARKET_CLS_CODE`, the 47th `H0STCNT0` field since 2026-09-14, exactly as the broker sent it; nil
    /// when the frame had 46 fields or the field was empty.
    public var marketClass: String?
    public var sourceType: SourceType

    public init(
        provider: Provider, symbol: String, time: Date, receivedAt: Date? = nil,
        price: Int64, volume: Int64, side: TradeSide = .unknown, change: Int64, changeRate: FixedDecimal,
        cumVolume: Int64? = nil, cumValue: Int64? = nil, open: Int64? = nil, high: Int64? = nil, low: Int64? = nil,
        askPrice: Int64? = nil, bidPrice: Int64? = nil, marketClass: String? = nil, sourceType: SourceType
    ) {
        self.provider = provider
        self.symbol = symbol
        self.time = time
        self.receivedAt = receivedAt
        self.price = price
        self.volume = volume
        self.side = side
        self.change = change
        self.changeRate = changeRate
        self.cumVolume = cumVolume
        self.cumValue = cumValue
        self.open = open
        self.high = high
        self.low = low
        self.askPrice = askPrice
        self.bidPrice = bidPrice
        self.marketClass = marketClass
        self.sourceType = sourceType
    }
}
