import Foundation

/// One symbol's state at one instant, as a scheduled snapshot observed it through the hub: the quote's
/// prices and session statistics, the best ask and bid with their sizes when the transaction carries them,
/// the day's limits, halt and warning flags, both times, where it came from (provider, TR, `source_type`)
/// and which schedule took it (mode and cycle). `derived` holds what enrichment computed from it.
public struct ObservationSnapshot: Sendable, Hashable {
    /// The schedule that took a snapshot.
    public enum Mode: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
        /// The whole universe every few minutes.
        case swing
        /// A few chosen symbols every second.
        case scalp

        public var description: String { rawValue }
    }

    /// Fields computed from the snapshot (and the previous one of the same symbol) by enrichment.
    public struct Derived: Sendable, Hashable {
        /// Best ask − best bid in KRW, when both are known.
        public var spread: Int64?
        /// (best ask + best bid) / 2, exact to half a won.
        public var mid: FixedDecimal?
        /// Price change since the previous snapshot of the symbol (nil on the first one).
        public var changeSincePrevious: Int64?
        /// Volume traded since the previous snapshot of the symbol (nil on the first one).
        public var volumeSincePrevious: Int64?
        /// Where the price stands in the day's range, 0 (at the low) to 1 (at the high); nil while high == low.
        public var rangePosition: FixedDecimal?
        /// Accumulated volume / listed shares in percent, when listed shares are known.
        public var turnoverRate: FixedDecimal?

        public init(
            spread: Int64? = nil, mid: FixedDecimal? = nil, changeSincePrevious: Int64? = nil, volumeSincePrevious: Int64? = nil,
            rangePosition: FixedDecimal? = nil, turnoverRate: FixedDecimal? = nil
        ) {
            self.spread = spread
            self.mid = mid
            self.changeSincePrevious = changeSincePrevious
            self.volumeSincePrevious = volumeSincePrevious
            self.rangePosition = rangePosition
            self.turnoverRate = turnoverRate
        }
    }

    public var provider: Provider
    /// The TR / api-id that answered (FHKST11300006, FHKST01010100, ka10001).
    public var transaction: String
    public var symbol: String
    public var name: String?
    public var price: Int64
    /// Signed change against the previous close.
    public var change: Int64
    public var changeRate: FixedDecimal
    public var open: Int64
    public var high: Int64
    public var low: Int64
    /// Accumulated volume and traded value (KRW) of the session.
    public var volume: Int64
    public var tradingValue: Int64?
    public var previousClose: Int64?
    public var askPrice: Int64?
    public var askSize: Int64?
    public var bidPrice: Int64?
    public var bidSize: Int64?
    public var upperLimit: Int64?
    public var lowerLimit: Int64?
    public var listedShares: Int64?
    public var halted: Bool
    /// A market warning or volatility interruption in force (see `Quote.warning`).
    public var warning: String?
    /// Exchange time (KST); REST quotes carry none, so it is the time the hub received the answer.
    public var exchangeTime: Date
    /// When the snapshot collector received it.
    public var receivedAt: Date
    public var sourceType: SourceType
    public var mode: Mode
    /// The schedule's cycle number (1 for the first cycle of the process).
    public var cycle: Int
    public var derived: Derived?

    /// A snapshot of `quote`, received at `receivedAt` in cycle `cycle` of a `mode` schedule.
    public init(quote: Quote, transaction: String, mode: Mode, cycle: Int, receivedAt: Date) {
        provider = quote.provider
        self.transaction = transaction
        symbol = quote.symbol
        name = quote.name
        price = quote.price
        change = quote.change
        changeRate = quote.changeRate
        open = quote.open
        high = quote.high
        low = quote.low
        volume = quote.volume
        tradingValue = quote.tradingValue
        previousClose = quote.previousClose
        askPrice = quote.askPrice
        askSize = quote.askSize
        bidPrice = quote.bidPrice
        bidSize = quote.bidSize
        upperLimit = quote.upperLimit
        lowerLimit = quote.lowerLimit
        listedShares = quote.listedShares
        halted = quote.halted
        warning = quote.warning
        exchangeTime = quote.time
        self.receivedAt = receivedAt
        sourceType = quote.sourceType
        self.mode = mode
        self.cycle = cycle
        derived = nil
    }

    /// Whether `other` observed the same market state (price, session statistics, best quotes), whatever
    /// the times and cycles: a symbol that did not trade between two cycles.
    public func sameMarketState(as other: ObservationSnapshot) -> Bool {
        provider == other.provider && symbol == other.symbol && price == other.price && volume == other.volume
            && high == other.high && low == other.low && tradingValue == other.tradingValue
            && askPrice == other.askPrice && bidPrice == other.bidPrice && askSize == other.askSize && bidSize == other.bidSize
    }
}
