import BrokerCore
import Foundation

extension RecordJSON {
    /// Reads back a quote as `encode(_: Quote)` wrote it (the hub's `/v1/execute` records), so a program that
    /// talks to a hub over HTTP gets the same `Quote` an in-process caller does. Fails naming the field.
    public static func decodeQuote(_ value: JSONValue) throws -> Quote {
        let row = try FieldReader(transaction: "record", record: nil, value: value, name: "quote")
        guard try row.text("type") == "quote" else { throw row.error("type", "expected \"quote\"") }
        guard let provider = Provider(rawValue: try row.text("provider")) else { throw row.error("provider", "unknown provider") }
        func instant(_ name: String) throws -> Date? {
            guard let text = try row.optionalText(name) else { return nil }
            guard let date = KST.parseISO8601(text) else { throw row.error(name, "expected an ISO-8601 time with +09:00") }
            return date
        }
        guard let time = try instant("time") else { throw row.error("time", "missing") }
        let sourceName = try row.text("source_type")
        guard let sourceType = SourceType(rawValue: sourceName) else { throw row.error("source_type", "unknown source type \(sourceName.prefix(40))") }
        let halted = try halted(row)
        return Quote(
            provider: provider, symbol: try row.text("symbol"), name: try row.optionalText("name"), time: time,
            receivedAt: try instant("received_at"), price: try row.int("price"), change: try row.int("change"),
            changeRate: try row.decimal("change_rate"), open: try row.int("open"), high: try row.int("high"), low: try row.int("low"),
            volume: try row.int("volume"), tradingValue: try row.optionalInt("trading_value"),
            previousClose: try row.optionalInt("previous_close"), upperLimit: try row.optionalInt("upper_limit"),
            lowerLimit: try row.optionalInt("lower_limit"), askPrice: try row.optionalInt("ask_price"),
            bidPrice: try row.optionalInt("bid_price"), askSize: try row.optionalInt("ask_size"), bidSize: try row.optionalInt("bid_size"),
            listedShares: try row.optionalInt("listed_shares"), halted: halted, warning: try row.optionalText("warning"),
            sourceType: sourceType
        )
    }

    /// A candle as `encode(_: Candle)` writes it (what `/v1/candles` answers), read strictly.
    public static func decodeCandle(_ value: JSONValue) throws -> Candle {
        let row = try FieldReader(transaction: "record", record: nil, value: value, name: "candle")
        guard try row.text("type") == "candle" else { throw row.error("type", "expected \"candle\"") }
        guard let provider = Provider(rawValue: try row.text("provider")) else { throw row.error("provider", "unknown provider") }
        guard let interval = CandleInterval(try row.text("interval")) else { throw row.error("interval", "unknown interval") }
        guard let start = KST.parseISO8601(try row.text("start")) else { throw row.error("start", "expected an ISO-8601 time with +09:00") }
        let sourceName = try row.text("source_type")
        guard let sourceType = SourceType(rawValue: sourceName) else { throw row.error("source_type", "unknown source type \(sourceName.prefix(40))") }
        var receivedAt: Date?
        if let text = try row.optionalText("received_at") {
            guard let date = KST.parseISO8601(text) else { throw row.error("received_at", "expected an ISO-8601 time with +09:00") }
            receivedAt = date
        }
        let halted = try halted(row)
        return Candle(
            provider: provider, symbol: try row.text("symbol"), interval: interval, start: start, open: try row.int("open"),
            high: try row.int("high"), low: try row.int("low"), close: try row.int("close"), volume: try row.int("volume"),
            tradingValue: try row.optionalInt("trading_value"), halted: halted, sourceType: sourceType, receivedAt: receivedAt
        )
    }

    /// A trade as `encode(_: Tick)` writes it (what `/v1/trades` answers), read strictly.
    public static func decodeTick(_ value: JSONValue) throws -> Tick {
        let row = try FieldReader(transaction: "record", record: nil, value: value, name: "tick")
        guard try row.text("type") == "tick" else { throw row.error("type", "expected \"tick\"") }
        guard let provider = Provider(rawValue: try row.text("provider")) else { throw row.error("provider", "unknown provider") }
        guard let time = KST.parseISO8601(try row.text("time")) else { throw row.error("time", "expected an ISO-8601 time with +09:00") }
        let sourceName = try row.text("source_type")
        guard let sourceType = SourceType(rawValue: sourceName) else { throw row.error("source_type", "unknown source type \(sourceName.prefix(40))") }
        return Tick(
            provider: provider, symbol: try row.text("symbol"), time: time, price: try row.int("price"), volume: try row.int("volume"),
            side: TradeSide(rawValue: try row.optionalText("side") ?? "") ?? .unknown, change: try row.optionalInt("change") ?? 0,
            changeRate: try row.optionalDecimal("change_rate") ?? .zero, cumVolume: try row.optionalInt("cum_volume"), sourceType: sourceType
        )
    }

    /// The record's `halted` flag: a boolean, false when absent or null.
    private static func halted(_ row: FieldReader) throws -> Bool {
        switch row.fields["halted"] {
        case .some(.bool(let flag)): flag
        case .none, .some(.null): false
        case .some: throw row.error("halted", "expected a boolean")
        }
    }
}
