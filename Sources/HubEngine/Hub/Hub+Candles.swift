import BrokerClients
import BrokerCore
import Foundation

extension Hub {
    /// Candles of `symbol` starting on `from` through `to` (KST days), oldest first: the catalogue says which calls
    /// serve them (`TransactionCatalog.candleCalls`; KIS 1m one a trading day), each goes through the queue at
    /// `priority` with every broker page followed, and only the range's candles are kept. `pages`: broker pages read.
    /// Throws `request.invalid_argument` for what no transaction serves.
    public func candles(
        provider: Provider, symbol: String, interval: CandleInterval, from: KSTDate, to: KSTDate, priority: Priority,
        timeout: Duration = .seconds(60)
    ) async throws -> (candles: [Candle], pages: Int) {
        let calls = try TransactionCatalog.candleCalls(provider: provider, symbol: symbol, interval: interval, from: from, to: to, today: KSTDate(clock.now))
        var records: [MarketRecord] = []
        var pages = 0
        for call in calls {
            let request = HubRequest(
                provider: call.provider, transaction: call.transaction, parameters: call.parameters, priority: priority,
                maxPages: call.maxPages, timeout: timeout
            )
            let result = try await execute(request)
            records += result.records
            pages += result.pages.count
        }
        let start = from.start, end = to.adding(days: 1).start
        let candles = records.compactMap { record -> Candle? in
            guard case .candle(let candle) = record, candle.start >= start, candle.start < end else { return nil }
            return candle
        }
        return (candles.sorted { $0.start < $1.start }, pages)
    }
}
