import Foundation

/// An OHLCV bar. Prices are whole KRW, volumes whole shares.
public struct Candle: Sendable, Hashable {
    public var provider: Provider
    public var symbol: String
    public var interval: CandleInterval
    /// Start of the bar (exchange time; render in KST).
    public var start: Date
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: Int64
    /// Traded value in KRW when the broker reports it.
    public var tradingValue: Int64?
    /// True on a trading-halt bar (no volume; OHLC set to the previous close).
    public var halted: Bool
    public var sourceType: SourceType
    /// When BrokerHub received the payload.
    public var receivedAt: Date?

    public init(
        provider: Provider, symbol: String, interval: CandleInterval, start: Date,
        open: Int64, high: Int64, low: Int64, close: Int64, volume: Int64,
        tradingValue: Int64? = nil, halted: Bool = false, sourceType: SourceType, receivedAt: Date? = nil
    ) {
        self.provider = provider
        self.symbol = symbol
        self.interval = interval
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.tradingValue = tradingValue
        self.halted = halted
        self.sourceType = sourceType
        self.receivedAt = receivedAt
    }
}
