import BrokerCore
import Realtime

/// What a `/v1/stream` client asked for: providers, channels and symbols (each empty: all) and an optional number of
/// events after which the stream ends. Pure: parsed from the query, turned into the bus's live pattern, and applied to
/// each event.
struct StreamFilter: Sendable, Equatable {
    var providers: Set<Provider> = []
    var channels: Set<RealtimeChannel> = []
    var symbols: Set<String> = []
    var limit: Int?

    /// Query members the stream reads; any other is refused (a misspelt `symbols=` would otherwise stream everything).
    static let members: Set<String> = ["provider", "channel", "symbol", "limit"]
    /// Most symbols one stream may name.
    static let maximumSymbols = 500

    /// Reads `provider`, `channel`, `symbol` (comma-separated, repeatable) and `limit`; refuses anything else with the
    /// member named.
    static func parse(_ query: [(name: String, value: String)]) throws -> StreamFilter {
        var filter = StreamFilter()
        for (name, value) in query {
            let items = value.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            switch name {
            case "provider":
                for item in items {
                    guard let provider = Provider(rawValue: item.lowercased()) else {
                        throw APIError(.invalidArgument, "provider must be kis or kiwoom, got \(item.prefix(32))")
                    }
                    filter.providers.insert(provider)
                }
            case "channel":
                for item in items {
                    guard let channel = RealtimeChannel(rawValue: item.lowercased()) else {
                        throw APIError(.invalidArgument, "channel must be ticker, orderbook or system, got \(item.prefix(32))")
                    }
                    filter.channels.insert(channel)
                }
            case "symbol":
                for item in items {
                    guard SymbolCode.isPlausible(item) else {
                        throw APIError(.invalidArgument, "symbol must be 1 to 12 letters or digits, got \(item.prefix(32))")
                    }
                    filter.symbols.insert(item.uppercased())
                }
                guard filter.symbols.count <= maximumSymbols else {
                    throw APIError(.invalidArgument, "at most \(maximumSymbols) symbols a stream")
                }
            case "limit":
                guard let limit = Int(value), limit >= 1, limit <= 10_000_000 else {
                    throw APIError(.invalidArgument, "limit must be a whole number from 1 to 10000000, got \(value.prefix(32))")
                }
                filter.limit = limit
            default:
                throw APIError(.invalidArgument, "unknown query member \(name.prefix(64)); expected \(members.sorted().joined(separator: ", "))")
            }
        }
        return filter
    }

    /// The narrowest live pattern (`EventBus.live`) that still covers the filter: one channel and one market symbol
    /// → `ticker.005930`; one channel → `ticker.*`; otherwise everything.
    var pattern: String {
        guard channels.count == 1, let channel = channels.first else { return "*" }
        if channel != .system, symbols.count == 1, let symbol = symbols.first { return "\(channel.rawValue).\(symbol)" }
        return "\(channel.rawValue).*"
    }

    /// Whether `event` is one the client asked for. System notices pass a symbol filter when they name no symbol or
    /// one of the filter's.
    func matches(_ event: RealtimeEvent) -> Bool {
        if !providers.isEmpty, !providers.contains(event.provider) { return false }
        if !channels.isEmpty, !channels.contains(event.channel) { return false }
        guard !symbols.isEmpty else { return true }
        if case .alert(let alert) = event.payload { return alert.symbol.map(symbols.contains) ?? true }
        return symbols.contains(event.symbol)
    }
}
