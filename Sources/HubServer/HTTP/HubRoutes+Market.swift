import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import Hummingbird

extension HubRoutes {
    /// The provider asked for, else KIS when configured, else Kiwoom.
    func provider(_ request: Request) throws -> Provider {
        if let name = request.uri.queryParameters.get("provider") {
            guard let provider = Provider(rawValue: name) else { throw APIError(.invalidArgument, "provider must be kis or kiwoom") }
            return provider
        }
        return hub.account(for: .kis) != nil ? .kis : .kiwoom
    }

    func priority(_ request: Request, default fallback: Priority = .interactive) throws -> Priority {
        guard let name = request.uri.queryParameters.get("priority") else { return fallback }
        guard let priority = Priority(name: name) else { throw APIError(.invalidArgument, "unknown priority \(name)") }
        return priority
    }

    /// `GET /v1/quotes/{symbol}`.
    func quote(_ request: Request, symbol: String) async throws -> Response {
        let call = TransactionCatalog.quoteCall(provider: try provider(request), symbol: symbol)
        let hubRequest = HubRequest(provider: call.provider, transaction: call.transaction, parameters: call.parameters, priority: try priority(request))
        let result = try await api { try await hub.execute(hubRequest) }
        guard let record = result.records.first else { throw APIError(.notFound, "no quote for \(symbol)") }
        return .json(#"{"quote":\#(RecordJSON.encode(record))}"#)
    }

    /// `GET /v1/candles/{symbol}?interval=1d&from=YYYYMMDD&to=YYYYMMDD`: the catalogue says which calls serve
    /// it (KIS 1m: one a trading day), every broker page is followed and the candles of the range come back
    /// oldest first.
    func candles(_ request: Request, symbol: String) async throws -> Response {
        let provider = try provider(request)
        let query = request.uri.queryParameters
        let intervalText = query.get("interval") ?? "1d"
        guard let interval = CandleInterval(intervalText) else { throw APIError(.invalidArgument, "interval must look like 1d, 1w, 1M, 1Y or 5m") }
        let today = KSTDate(clock.now)
        guard let to = query.get("to").map({ KSTDate($0) }) ?? today else { throw APIError(.invalidArgument, "to must be YYYYMMDD") }
        guard let from = query.get("from").map({ KSTDate($0) }) ?? to.adding(days: -30) else { throw APIError(.invalidArgument, "from must be YYYYMMDD") }
        guard from <= to else { throw APIError(.invalidArgument, "from is after to") }
        do {
            _ = try TransactionCatalog.candleCalls(provider: provider, symbol: symbol, interval: interval, from: from, to: to, today: today)
        } catch let error as BrokerHubError {
            throw APIError(.invalidArgument, error.message)
        }
        let priority = try priority(request)
        let (candles, pages) = try await api {
            try await hub.candles(provider: provider, symbol: symbol, interval: interval, from: from, to: to, priority: priority)
        }
        let key = RenderedCandles.Key(provider: provider, symbol: symbol, interval: interval.description, from: from, to: to)
        let body = renderedCandles.body(for: key, candles: candles, pages: pages) {
            var object = JSONWriter.Object()
            object.add("symbol", symbol)
            object.add("interval", interval.description)
            object.add("from", from.compact)
            object.add("to", to.compact)
            object.add("pages", Int64(pages))
            object.add("candles", raw: "[" + candles.map { RecordJSON.encode($0) }.joined(separator: ",") + "]")
            return object.json
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }

    /// `GET /v1/trades/{symbol}?provider=`: the trades the broker still serves (KIS the last 30 of today; Kiwoom today's
    /// session), oldest first — what `brokerhub backfill` recovers missing trades from.
    func trades(_ request: Request, symbol: String) async throws -> Response {
        let provider = try provider(request)
        guard SymbolCode.isPlausible(symbol) else { throw APIError(.invalidArgument, "symbol must be a 6-character code") }
        let priority = try priority(request)
        let trades = try await api { try await hub.trades(provider: provider, symbol: symbol, priority: priority) }
        var object = JSONWriter.Object()
        object.add("symbol", symbol)
        object.add("provider", provider.rawValue)
        object.add("trades", raw: "[" + trades.map { RecordJSON.encode($0) }.joined(separator: ",") + "]")
        return .json(object.json)
    }
}
