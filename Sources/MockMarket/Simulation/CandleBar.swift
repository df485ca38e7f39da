import BrokerCore

/// An aggregated bar of the simulated market.
public struct CandleBar: Sendable, Hashable {
    /// The bar's trading date (for multi-day bars, its first trading day).
    public var date: KSTDate
    /// Second of day (KST) the bar starts at; 0 for daily and longer bars.
    public var second: Int
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: Int64
    public var value: Int64
    /// The close of the bar before (for change figures).
    public var previousClose: Int64
    public var halted: Bool
}
