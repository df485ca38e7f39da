/// One listed symbol of the simulated market.
public struct MockSymbol: Sendable, Hashable {
    /// Six-digit KRX code.
    public var code: String
    public var name: String
    /// KOSPI or KOSDAQ.
    public var market: String
    /// The close before the simulated history starts.
    public var basePrice: Int64
    /// Average trades per regular session.
    public var tradesPerDay: Int
    /// Daily volatility (standard deviation of the close-to-close return).
    public var dailyVolatility: Double
    /// Listed shares, for per-share figures.
    public var listedShares: Int64
    /// A stable number for hashing.
    public var key: UInt64
}
