import BrokerCore
import BrokerWire
import Foundation

/// The reading of Kiwoom realtime messages BrokerHub had before its direct scanner: `JSONParser`'s tree, then
/// `FieldReader`. Kept as the oracle the scanner is fuzzed and tested against: both must read every message
/// alike — the same records, or the same error.
public enum KiwoomTreeReference {
    public static func parse(_ message: String, receivedAt: Date) throws -> KiwoomRealtimeMessage {
        let json: JSONValue
        do {
            json = try JSONParser.parse(message)
        } catch {
            throw BrokerHubError(.malformedPayload, "Kiwoom message: not valid JSON: \(error)", underlying: error)
        }
        guard let trnm = json["trnm"]?.stringValue else {
            throw BrokerHubError.malformed("Kiwoom message", field: "trnm", "missing")
        }
        switch trnm {
        case "REAL": return try real(json, receivedAt: receivedAt)
        case "LOGIN": return .login(failure: KiwoomEnvelope.failure(httpStatus: 200, body: json))
        case "REG", "REMOVE": return .registration(trnm: trnm, failure: KiwoomEnvelope.failure(httpStatus: 200, body: json))
        case "PING": return .ping(raw: message)
        case "SYSTEM": return .system(code: json["code"]?.text ?? "", message: json["message"]?.text ?? "")
        default: return .other(trnm: trnm, raw: message)
        }
    }

    static func real(_ json: JSONValue, receivedAt: Date) throws -> KiwoomRealtimeMessage {
        guard let entries = json["data"]?.arrayValue else {
            throw BrokerHubError.malformed("Kiwoom REAL", field: "data", "missing or not an array")
        }
        let date = KSTDate(receivedAt)
        var records: [MarketRecord] = []
        var unsupported: [KiwoomUnsupportedEntry] = []
        for (index, entry) in entries.enumerated() {
            guard let type = entry["type"]?.stringValue else {
                throw BrokerHubError.malformed("Kiwoom REAL", record: index, field: "type", "missing")
            }
            let item = entry["item"]?.text ?? ""
            switch type {
            case "0B":
                let values = try FieldReader(transaction: "Kiwoom REAL 0B", record: index, value: entry["values"], name: "values")
                records.append(.tick(try trade(values, symbol: try symbol(item, type: type, index), date: date, receivedAt: receivedAt)))
            case "0D":
                let values = try FieldReader(transaction: "Kiwoom REAL 0D", record: index, value: entry["values"], name: "values")
                records.append(.orderBook(try orderBook(values, symbol: try symbol(item, type: type, index), date: date, receivedAt: receivedAt)))
            default:
                unsupported.append(KiwoomUnsupportedEntry(type: type, item: item))
            }
        }
        return .real(records: records, unsupported: unsupported)
    }

    static func symbol(_ item: String, type: String, _ index: Int) throws -> String {
        guard !item.isEmpty else { throw BrokerHubError.malformed("Kiwoom REAL \(type)", record: index, field: "item", "missing") }
        return KiwoomRestNormalizer.normalizedSymbol(item)
    }

    static func instant(_ values: FieldReader, field: String, date: KSTDate) throws -> Date {
        let second = try values.timeOfDay(field)
        return KST.instant(date, hour: second / 3600, minute: (second / 60) % 60, second: second % 60)
    }

    /// `0B` 주식체결: 20 time, 10 price, 11 change, 12 rate, 15 signed volume (+ buy, − sell), 13/14 accumulated
    /// volume / value (백만원), 16/17/18 open/high/low, 27/28 best ask/bid.
    static func trade(_ values: FieldReader, symbol: String, date: KSTDate, receivedAt: Date) throws -> Tick {
        let signedVolume = try values.int("15")
        return Tick(
            provider: .kiwoom, symbol: symbol, time: try instant(values, field: "20", date: date), receivedAt: receivedAt,
            price: try values.price("10"), volume: abs(signedVolume),
            side: signedVolume > 0 ? .buy : (signedVolume < 0 ? .sell : .unknown),
            change: try values.optionalInt("11") ?? 0, changeRate: try values.optionalDecimal("12") ?? .zero,
            cumVolume: try values.optionalInt("13"), cumValue: try values.optionalMillions("14"),
            open: try values.optionalPrice("16"), high: try values.optionalPrice("17"), low: try values.optionalPrice("18"),
            askPrice: try values.optionalPrice("27"), bidPrice: try values.optionalPrice("28"),
            sourceType: .realtime
        )
    }

    /// `0D` 호가잔량: 21 time, 41–50 ask prices, 61–70 ask quantities, 51–60 bid prices, 71–80 bid quantities,
    /// 121/125 totals.
    static func orderBook(_ values: FieldReader, symbol: String, date: KSTDate, receivedAt: Date) throws -> OrderBook {
        var asks: [PriceLevel] = [], bids: [PriceLevel] = []
        for level in 0..<OrderBook.depth {
            asks.append(PriceLevel(price: try values.price(String(41 + level)), quantity: abs(try values.int(String(61 + level)))))
            bids.append(PriceLevel(price: try values.price(String(51 + level)), quantity: abs(try values.int(String(71 + level)))))
        }
        return OrderBook(
            provider: .kiwoom, symbol: symbol, time: try instant(values, field: "21", date: date), receivedAt: receivedAt,
            asks: asks, bids: bids,
            totalAskQuantity: abs(try values.optionalInt("121") ?? values.total(asks.map(\.quantity), as: "121")),
            totalBidQuantity: abs(try values.optionalInt("125") ?? values.total(bids.map(\.quantity), as: "125")),
            sourceType: .realtime
        )
    }
}
