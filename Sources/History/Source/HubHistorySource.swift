import BrokerCore
import HubEngine

/// Candles through the `Hub` of this process (an embedded hub, as the demo runs one).
public struct HubHistorySource: HistorySource {
    let hub: Hub

    public init(hub: Hub) {
        self.hub = hub
    }

    public func candles(provider: Provider, symbol: String, interval: CandleInterval, from: KSTDate, to: KSTDate) async throws -> [Candle] {
        try await hub.candles(provider: provider, symbol: symbol, interval: interval, from: from, to: to, priority: .backfill).candles
    }

    public func trades(provider: Provider, symbol: String) async throws -> [Tick] {
        try await hub.trades(provider: provider, symbol: symbol, priority: .backfill)
    }
}
