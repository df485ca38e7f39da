/// Ground-truth provenance of a record: which surface of the broker produced it.
public enum SourceType: String, Sendable, Hashable, Codable, CaseIterable {
    /// Parsed from a realtime WebSocket frame.
    case realtime
    /// A REST quotation (current price, last trades, multi-symbol quote).
    case restQuote = "rest_quote"
    /// A REST candle (chart) endpoint.
    case restCandle = "rest_candle"
    /// Recovered after the fact to fill a gap.
    case backfill
    /// Computed by BrokerHub from other records (e.g. candles aggregated from ticks).
    case derived
}
