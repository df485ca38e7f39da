import BrokerCore

/// Where history candles come from: the hub's front door in this process (`HubCandleSource`) or a running hub's
/// `GET /v1/candles` (`HTTPCandleSource`), always at `backfill` priority so interactive callers go first.
public protocol CandleSource: Sendable {
    /// Candles of `symbol` starting on `from` through `to` (KST days), oldest first.
    func candles(provider: Provider, symbol: String, interval: CandleInterval, from: KSTDate, to: KSTDate) async throws -> [Candle]
}
