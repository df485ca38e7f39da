import BrokerClients
import BrokerCore
import Foundation

extension Hub {
    /// The trades the broker still serves for `symbol`, oldest first, through the queue at `priority`
    /// (`TransactionCatalog.tradesCall`): KIS the last 30 of today, Kiwoom the session's trades (one-trade ka10079 bars,
    /// each read back as a trade: its time, price and shares). What backfill recovers missing trades from.
    public func trades(
        provider: Provider, symbol: String, priority: Priority, maxPages: Int = 40, timeout: Duration = .seconds(60)
    ) async throws -> [Tick] {
        let call = TransactionCatalog.tradesCall(provider: provider, symbol: symbol, maxPages: maxPages)
        let result = try await execute(HubRequest(
            provider: call.provider, transaction: call.transaction, parameters: call.parameters, priority: priority,
            maxPages: call.maxPages, timeout: timeout
        ))
        let trades = result.records.compactMap { record -> Tick? in
            switch record {
            case .tick(let tick): return tick
            case .candle(let bar):
                return Tick(
                    provider: bar.provider, symbol: bar.symbol, time: bar.start, receivedAt: bar.receivedAt, price: bar.close,
                    volume: bar.volume, change: 0, changeRate: .zero, sourceType: bar.sourceType
                )
            default: return nil
            }
        }
        return trades.sorted { $0.time < $1.time }
    }
}
