import Foundation
import Realtime

/// Compares what the mock broker says it sent (`GET /_mock/stats`) with what the sink stored.
///
/// Reads, per provider, `records_sent_by_channel` (`{channel: {symbol: count}}`; channel names may be
/// `ticker`/`orderbook` or the broker's own ids `H0STCNT0`/`0B`, `H0STASP0`/`0D`) when present; otherwise
/// `records_sent_by_symbol`, compared with the symbol's stored ticker + order-book rows (reported on the
/// `ticker` channel). Unknown channels and malformed values are skipped and listed in `ignored`.
public enum MockLedgerCheck {
    public struct Result: Sendable {
        public var report: LedgerReport
        /// What in the stats document could not be mapped (for the operator; not a failure by itself).
        public var ignored: [String]
    }

    public static func compare(statsJSON: Data, stored: [LedgerKey: Int64]) throws -> Result {
        guard let root = try JSONSerialization.jsonObject(with: statsJSON) as? [String: Any] else {
            throw ArchiverError(.invalidSpecification, "mock stats is not a JSON object")
        }
        var sent: [LedgerKey: Int64] = [:]
        var ignored: [String] = []
        var bySymbolProviders = Set<String>()
        for (provider, value) in root {
            guard let stats = value as? [String: Any] else { continue }
            if let byChannel = stats["records_sent_by_channel"] as? [String: Any] {
                for (channelName, symbols) in byChannel {
                    guard let channel = channel(named: channelName), let symbols = symbols as? [String: Any] else {
                        ignored.append("\(provider)/\(channelName)")
                        continue
                    }
                    for (symbol, count) in symbols {
                        guard let count = int64(count) else { ignored.append("\(provider)/\(channelName)/\(symbol)"); continue }
                        sent[LedgerKey(provider: provider, channel: channel, symbol: symbol), default: 0] += count
                    }
                }
            } else if let bySymbol = stats["records_sent_by_symbol"] as? [String: Any] {
                bySymbolProviders.insert(provider)
                for (symbol, count) in bySymbol {
                    guard let count = int64(count) else { ignored.append("\(provider)/\(symbol)"); continue }
                    sent[LedgerKey(provider: provider, channel: .ticker, symbol: symbol), default: 0] += count
                }
            }
        }
        // Stored side in the same shape: market data only; folded onto `ticker` where the mock only counts per symbol.
        var storedSide: [LedgerKey: Int64] = [:]
        for (key, count) in stored where key.channel != .system {
            var target = key
            if bySymbolProviders.contains(key.provider) { target.channel = .ticker }
            storedSide[target, default: 0] += count
        }
        return Result(report: LedgerReport(sourceLabel: "sent", published: sent, stored: storedSide), ignored: ignored.sorted())
    }

    static func channel(named name: String) -> RealtimeChannel? {
        switch name.lowercased() {
        case "ticker", "tick", "ticks", "trade", "trades", "h0stcnt0", "0b": .ticker
        case "orderbook", "order_book", "orderbooks", "book", "quote", "h0stasp0", "0d": .orderbook
        default: nil
        }
    }

    private static func int64(_ value: Any) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        if let text = value as? String { return Int64(text) }
        return nil
    }
}
