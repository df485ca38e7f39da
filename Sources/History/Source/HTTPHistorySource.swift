import AsyncHTTPClient
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import NIOCore

/// Candles and trades from a running hub's `GET /v1/candles/{symbol}` and `GET /v1/trades/{symbol}` at `backfill` priority (`brokerhub history --hub URL`): the
/// hub's token, budget and queue serve the collection like every other caller. The hub's errors come back as
/// `BrokerHubError`s with the hub's own codes; the API key is sent as `X-API-Key` and never logged.
public struct HTTPHistorySource: HistorySource {
    let base: String
    let apiKey: String?
    let timeout: Duration
    let client: HTTPClient

    public init(hub: String, apiKey: String? = nil, timeout: Duration = .seconds(60), client: HTTPClient = .shared) {
        base = hub.hasSuffix("/") ? String(hub.dropLast()) : hub
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    public func candles(provider: Provider, symbol: String, interval: CandleInterval, from: KSTDate, to: KSTDate) async throws -> [Candle] {
        let document = try await get("/v1/candles/\(Self.escaped(symbol))?provider=\(provider.rawValue)&interval=\(interval.description)"
            + "&from=\(from.compact)&to=\(to.compact)&priority=backfill")
        return try (document["candles"]?.arrayValue ?? []).map(RecordJSON.decodeCandle)
    }

    public func trades(provider: Provider, symbol: String) async throws -> [Tick] {
        let document = try await get("/v1/trades/\(Self.escaped(symbol))?provider=\(provider.rawValue)&priority=backfill")
        return try (document["trades"]?.arrayValue ?? []).map(RecordJSON.decodeTick)
    }

    static func escaped(_ symbol: String) -> String { symbol.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? symbol }

    /// The hub's JSON answer to `GET path`, or its error as a `BrokerHubError`.
    private func get(_ path: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        if let apiKey { request.headers.add(name: "x-api-key", value: apiKey) }
        let status: UInt
        let bytes: [UInt8]
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout.timeInterval)))
            status = response.status.code
            bytes = Array(buffer: try await response.body.collect(upTo: 64 << 20))
        } catch {
            throw BrokerHubError(.unavailable, "hub \(base) not reached", underlying: error)
        }
        return try HubAnswer.document(status: status, body: bytes)
    }
}
