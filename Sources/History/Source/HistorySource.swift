import BrokerCore

/// Where history comes from: the hub's front door in this process (`HubHistorySource`) or a running hub's HTTP API
/// (`HTTPHistorySource`), always at `backfill` priority so interactive callers go first.
public protocol HistorySource: Sendable {
    /// Candles of `symbol` starting on `from` through `to` (KST days), oldest first.
    func candles(provider: Provider, symbol: String, interval: CandleInterval, from: KSTDate, to: KSTDate) async throws -> [Candle]

    /// The trades the broker still serves for `symbol`, oldest first (KIS: the last 30 of today; Kiwoom: today's session).
    func trades(provider: Provider, symbol: String) async throws -> [Tick]
}
