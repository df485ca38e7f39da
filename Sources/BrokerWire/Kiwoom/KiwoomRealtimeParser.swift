import BrokerCore
import Foundation

/// Parses Kiwoom realtime WebSocket messages (JSON with `trnm`; member order not fixed).
///
/// `REAL` messages — the stream itself — are read by a direct scanner over the UTF-8 bytes, in one pass when
/// `trnm` comes before `data` (as Kiwoom sends it): the document is validated as strictly as `JSONParser` does
/// (same failures, found first), and each entry's fields are read in place, with no JSON tree, dictionary or
/// per-field string. The rare control messages (`LOGIN`, `REG`, `PING`, …) go through `JSONParser`.
public enum KiwoomRealtimeParser {
    public static func parse(_ message: String, receivedAt: Date) throws -> KiwoomRealtimeMessage {
        if let parsed = try message.utf8.withContiguousStorageIfAvailable({ try parse(bytes: $0, receivedAt: receivedAt) }) {
            return parsed
        }
        return try Array(message.utf8).withUnsafeBufferPointer { try parse(bytes: $0, receivedAt: receivedAt) }
    }

    /// Messages past this size are refused (field positions are kept in 30 bits; Kiwoom's are a few KB).
    public static let maximumMessageBytes = 1 << 30

    public static func parse(bytes: UnsafeBufferPointer<UInt8>, receivedAt: Date) throws -> KiwoomRealtimeMessage {
        guard bytes.count < maximumMessageBytes else {
            throw BrokerHubError.malformed("Kiwoom message", "\(bytes.count) bytes is over the \(maximumMessageBytes)-byte limit")
        }
        var cursor = JSONCursor(bytes)
        var top = TopLevel()
        do {
            try top.read(&cursor, receivedAt: receivedAt)
        } catch {
            throw BrokerHubError(.malformedPayload, "Kiwoom message: not valid JSON: \(error)", underlying: error)
        }
        guard let trnm = top.trnm.flatMap({ cursor.stringText(at: $0) }) else {
            throw BrokerHubError.malformed("Kiwoom message", field: "trnm", "missing")
        }
        if trnm == "REAL" {
            if let read = top.read, read.data == top.data { return try read.result.get() }
            // `data` came before `trnm`, or either came twice: read the last `data` now.
            var data = JSONCursor(bytes, at: top.data ?? 0)
            guard top.data != nil else { throw BrokerHubError.malformed("Kiwoom REAL", field: "data", "missing or not an array") }
            return try real(&data, receivedAt: receivedAt)
        }
        // Control messages are few: read them as a tree.
        let json = try JSONParser.parse(bytes)
        let message = String(decoding: bytes, as: UTF8.self)
        switch trnm {
        case "LOGIN": return .login(failure: KiwoomEnvelope.failure(httpStatus: 200, body: json))
        case "REG", "REMOVE": return .registration(trnm: trnm, failure: KiwoomEnvelope.failure(httpStatus: 200, body: json))
        case "PING": return .ping(raw: message)
        case "SYSTEM": return .system(code: json["code"]?.text ?? "", message: json["message"]?.text ?? "")
        default: return .other(trnm: trnm, raw: message)
        }
    }

    /// The document's top level, validated: where the values of `trnm` and `data` start (the last of each name),
    /// and — when `data` follows a `trnm` of `REAL` — what its entries read, taken in the same pass.
    private struct TopLevel {
        var trnm: Int?
        var data: Int?
        /// The `data` read in passing (where it starts, what it gave); an error in it is kept until the whole
        /// document is known to be JSON, so a syntax error later on is reported first, as `JSONParser` would.
        var read: (data: Int, result: Result<KiwoomRealtimeMessage, any Error>)?

        mutating func read(_ cursor: inout JSONCursor, receivedAt: Date) throws(JSONParser.Failure) {
            cursor.skipWhitespace()
            guard !cursor.atEnd else { throw cursor.failure("unexpected end of input") }
            if cursor.current == UInt8(ascii: "{") {
                var walk = try cursor.beginObject(depth: 1)
                var isReal = false
                while let name = try cursor.nextMember(&walk) {
                    let start = cursor.index
                    if cursor.matches(name, "data") {
                        data = start
                        if isReal, cursor.current == UInt8(ascii: "[") {
                            try readInPassing(&cursor, receivedAt: receivedAt)
                            continue
                        }
                    }
                    if cursor.matches(name, "trnm") {
                        trnm = start
                        isReal = false
                        if cursor.current == UInt8(ascii: "\"") {
                            isReal = cursor.matches(try cursor.scanString(), "REAL")
                            continue
                        }
                    }
                    _ = try cursor.skipValue(depth: 1)
                }
            } else {
                _ = try cursor.skipValue(depth: 0)
            }
            cursor.skipWhitespace()
            guard cursor.atEnd else { throw cursor.failure("unexpected trailing characters") }
        }

        private mutating func readInPassing(_ cursor: inout JSONCursor, receivedAt: Date) throws(JSONParser.Failure) {
            let start = cursor.index
            do {
                read = (start, .success(try real(&cursor, receivedAt: receivedAt)))
            } catch let failure as JSONParser.Failure {
                throw failure
            } catch {
                read = (start, .failure(error))
                cursor.index = start
                _ = try cursor.skipValue(depth: 1)
            }
        }
    }

    /// The entries of the `data` array at `cursor` (validated as they are read; the cursor ends past the array):
    /// `0B` and `0D` normalised, other types reported. Throws `JSONParser.Failure` for what is not JSON and
    /// `BrokerHubError` for what is not a valid entry.
    static func real(_ cursor: inout JSONCursor, receivedAt: Date) throws -> KiwoomRealtimeMessage {
        guard cursor.current == UInt8(ascii: "[") else {
            throw BrokerHubError.malformed("Kiwoom REAL", field: "data", "missing or not an array")
        }
        let date = KSTDate(receivedAt)
        var records: [MarketRecord] = []
        var unsupported: [KiwoomUnsupportedEntry] = []
        try withUnsafeTemporaryAllocation(of: Int64.self, capacity: KiwoomRealtimeValues.slotCount) { slots in
            var walk = try cursor.beginArray(depth: 2)
            var index = 0
            while try cursor.nextElement(&walk) {
                let entry = try Entry(&cursor, index: index, slots: slots)
                switch entry.type {
                case "0B":
                    let values = try entry.fields(transaction: "Kiwoom REAL 0B")
                    records.append(.tick(try trade(values, symbol: try symbol(entry.item, type: "0B", index), date: date, receivedAt: receivedAt)))
                case "0D":
                    let values = try entry.fields(transaction: "Kiwoom REAL 0D")
                    records.append(.orderBook(try orderBook(values, symbol: try symbol(entry.item, type: "0D", index), date: date, receivedAt: receivedAt)))
                default:
                    unsupported.append(KiwoomUnsupportedEntry(type: entry.type, item: entry.item))
                }
                index += 1
            }
        }
        return .real(records: records, unsupported: unsupported)
    }

    /// One element of `data` (validated already), read member by member: its `type`, `item` and `values` (the last
    /// of each name), the fields of `values` noted in `slots` as they pass.
    private struct Entry {
        let index: Int
        let type: String
        let item: String
        private let bytes: UnsafeBufferPointer<UInt8>
        /// Where `values` starts, and its fields when it is an object.
        private var values: (start: Int, fields: KiwoomRealtimeValues?)?

        init(_ cursor: inout JSONCursor, index: Int, slots: UnsafeMutableBufferPointer<Int64>) throws {
            self.index = index
            self.bytes = cursor.bytes
            var type: String?, item: String?
            cursor.skipWhitespace()
            if cursor.current == UInt8(ascii: "{") {
                var walk = try cursor.beginObject(depth: 3)
                while let name = try cursor.nextMember(&walk) {
                    let start = cursor.index
                    if cursor.matches(name, "values"), cursor.current == UInt8(ascii: "{") {
                        values = (start, try KiwoomRealtimeValues(scanning: &cursor, depth: 4, slots: slots, record: index))
                        continue
                    }
                    if cursor.matches(name, "type"), cursor.current == UInt8(ascii: "\"") {
                        let span = try cursor.scanString()
                        type = cursor.matches(span, "0B") ? "0B" : (cursor.matches(span, "0D") ? "0D" : cursor.text(span))
                        continue
                    }
                    _ = try cursor.skipValue(depth: 3)
                    if cursor.matches(name, "type") {
                        type = nil
                    } else if cursor.matches(name, "item") {
                        item = cursor.stringText(at: start) ?? cursor.value(at: start).text
                    } else if cursor.matches(name, "values") {
                        values = (start, nil)
                    }
                }
            } else {
                _ = try cursor.skipValue(depth: 2)
            }
            guard let type else { throw BrokerHubError.malformed("Kiwoom REAL", record: index, field: "type", "missing") }
            self.type = type
            self.item = item ?? ""
        }

        /// The fields of `values`, or `FieldReader`'s error for a missing or non-object one.
        func fields(transaction: String) throws -> KiwoomRealtimeValues {
            if let fields = values?.fields { return fields.named(transaction) }
            _ = try FieldReader(transaction: transaction, record: index, value: values.map { JSONCursor(bytes).value(at: $0.start) }, name: "values")
            throw BrokerHubError.malformed(transaction, record: index, field: "values", "expected an object")
        }
    }

    static func symbol(_ item: String, type: String, _ index: Int) throws -> String {
        guard !item.isEmpty else { throw BrokerHubError.malformed("Kiwoom REAL \(type)", record: index, field: "item", "missing") }
        return KiwoomRestNormalizer.normalizedSymbol(item)
    }

    static func instant(_ values: KiwoomRealtimeValues, field: Int, date: KSTDate) throws -> Date {
        let second = try values.timeOfDay(field)
        return KST.instant(date, hour: second / 3600, minute: (second / 60) % 60, second: second % 60)
    }

    /// `0B` 주식체결: 20 time, 10 price, 11 change, 12 rate, 15 signed volume (+ buy, − sell), 13/14 accumulated
    /// volume / value (백만원), 16/17/18 open/high/low, 27/28 best ask/bid.
    static func trade(_ values: KiwoomRealtimeValues, symbol: String, date: KSTDate, receivedAt: Date) throws -> Tick {
        let signedVolume = try values.int(15)
        return Tick(
            provider: .kiwoom, symbol: symbol, time: try instant(values, field: 20, date: date), receivedAt: receivedAt,
            price: try values.price(10), volume: abs(signedVolume),
            side: signedVolume > 0 ? .buy : (signedVolume < 0 ? .sell : .unknown),
            change: try values.optionalInt(11) ?? 0, changeRate: try values.optionalDecimal(12) ?? .zero,
            cumVolume: try values.optionalInt(13), cumValue: try values.optionalMillions(14),
            open: try values.optionalPrice(16), high: try values.optionalPrice(17), low: try values.optionalPrice(18),
            askPrice: try values.optionalPrice(27), bidPrice: try values.optionalPrice(28),
            sourceType: .realtime
        )
    }

    /// `0D` 호가잔량: 21 time, 41–50 ask prices, 61–70 ask quantities, 51–60 bid prices, 71–80 bid quantities,
    /// 121/125 totals.
    static func orderBook(_ values: KiwoomRealtimeValues, symbol: String, date: KSTDate, receivedAt: Date) throws -> OrderBook {
        var asks: [PriceLevel] = [], bids: [PriceLevel] = []
        for level in 0..<OrderBook.depth {
            asks.append(PriceLevel(price: try values.price(41 + level), quantity: abs(try values.int(61 + level))))
            bids.append(PriceLevel(price: try values.price(51 + level), quantity: abs(try values.int(71 + level))))
        }
        return OrderBook(
            provider: .kiwoom, symbol: symbol, time: try instant(values, field: 21, date: date), receivedAt: receivedAt,
            asks: asks, bids: bids,
            totalAskQuantity: abs(try values.optionalInt(121) ?? values.total(asks.map(\.quantity), as: 121)),
            totalBidQuantity: abs(try values.optionalInt(125) ?? values.total(bids.map(\.quantity), as: 125)),
            sourceType: .realtime
        )
    }
}
