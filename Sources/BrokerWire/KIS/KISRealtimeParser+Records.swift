import BrokerCore
import Foundation

extension KISRealtimeParser {
    /// Field boundaries of one record: `start[i]..<end[i]` in the frame's bytes.
    struct FieldSpans {
        var starts: UnsafeMutableBufferPointer<Int>
        var ends: UnsafeMutableBufferPointer<Int>
    }

    /// Splits `count` records of `width` `^`-separated fields and hands each to `body`.
    /// Fails unless the frame holds exactly `count × width` fields.
    @inline(__always)
    static func forEachRecord(
        _ bytes: UnsafeBufferPointer<UInt8>, from dataStart: Int, count: Int, width: Int, trID: String,
        _ body: (Int, FieldSpans) throws -> Void
    ) throws {
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: width * 2) { storage in
            let spans = FieldSpans(
                starts: UnsafeMutableBufferPointer(rebasing: storage[0..<width]),
                ends: UnsafeMutableBufferPointer(rebasing: storage[width..<(width * 2)])
            )
            let end = bytes.count
            var cursor = dataStart
            for record in 0..<count {
                for field in 0..<width {
                    guard cursor <= end else {
                        throw BrokerHubError.malformed(trID, record: record, "frame declares \(count) records of \(width) fields but ends after \(record * width + field) fields")
                    }
                    spans.starts[field] = cursor
                    while cursor < end, bytes[cursor] != UInt8(ascii: "^") { cursor &+= 1 }
                    spans.ends[field] = cursor
                    cursor &+= 1
                }
                try body(record, spans)
            }
            guard cursor > end else {
                var extra = 1
                for index in cursor..<end where bytes[index] == UInt8(ascii: "^") { extra += 1 }
                throw BrokerHubError.malformed(trID, "frame declares \(count) records of \(width) fields but carries \(extra) more fields")
            }
        }
    }

    struct RecordReader {
        let bytes: UnsafeBufferPointer<UInt8>
        let spans: FieldSpans
        let trID: String
        let record: Int
        let layout: [String]

        func error(_ field: Int, _ reason: String) -> BrokerHubError {
            BrokerHubError.malformed(trID, record: record, field: layout[field], "\(reason), got \"\(text(field).prefix(40))\"")
        }

        @inline(__always)
        func isEmpty(_ field: Int) -> Bool { spans.starts[field] == spans.ends[field] }

        @inline(__always)
        func int(_ field: Int) throws -> Int64 {
            guard let value = NumberText.int64(bytes, from: spans.starts[field], to: spans.ends[field]) else {
                throw error(field, "expected an integer")
            }
            return value
        }

        @inline(__always)
        func optionalInt(_ field: Int) throws -> Int64? {
            isEmpty(field) ? nil : try int(field)
        }

        @inline(__always)
        func decimal(_ field: Int) throws -> FixedDecimal {
            guard let value = FixedDecimal.parse(UnsafeBufferPointer(rebasing: bytes[spans.starts[field]..<spans.ends[field]])) else {
                throw error(field, "expected a decimal")
            }
            return value
        }

        @inline(__always)
        func symbol(_ field: Int) throws -> String {
            let length = spans.ends[field] - spans.starts[field]
            guard length > 0, length <= 12 else { throw error(field, "expected a symbol code") }
            return text(field)
        }

        @inline(__always)
        func secondOfDay(_ field: Int) throws -> Int {
            guard let second = NumberText.timeOfDay(bytes, from: spans.starts[field], to: spans.ends[field]) else {
                throw error(field, "expected an HHMMSS time")
            }
            return second
        }

        /// A short code field (at most 16 bytes); nil when empty.
        func code(_ field: Int) throws -> String? {
            let length = spans.ends[field] - spans.starts[field]
            guard length <= 16 else { throw error(field, "expected a code of at most 16 characters") }
            return length == 0 ? nil : text(field)
        }

        func text(_ field: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[spans.starts[field]..<spans.ends[field]]), as: UTF8.self)
        }

        @inline(__always)
        func byte(_ field: Int) -> UInt8? {
            spans.ends[field] - spans.starts[field] == 1 ? bytes[spans.starts[field]] : nil
        }
    }

    /// Fields in the frame's data part (`^`-separated), for telling layouts of different widths apart.
    static func fieldCount(_ bytes: UnsafeBufferPointer<UInt8>, from dataStart: Int) -> Int {
        var fields = 1
        for index in dataStart..<bytes.count where bytes[index] == UInt8(ascii: "^") { fields &+= 1 }
        return fields
    }

    /// `H0STCNT0`-layout records as ticks, 46 or 47 fields per record (the width is the frame's field count
    /// divided by its record count; anything else fails against the 46-field layout). The exchange time is
    /// `BSOP_DATE` + `STCK_CNTG_HOUR` in KST; the 47th field, `MARKET_CLS_CODE`, becomes `Tick.marketClass`.
    static func trades(_ bytes: UnsafeBufferPointer<UInt8>, from dataStart: Int, count: Int, trID: String, receivedAt: Date) throws -> [Tick] {
        var ticks: [Tick] = []
        ticks.reserveCapacity(count)
        let wide = fieldCount(bytes, from: dataStart) == count * KISRealtimeLayout.tradeWithMarketClass.count
        let layout = wide ? KISRealtimeLayout.tradeWithMarketClass : KISRealtimeLayout.trade
        try forEachRecord(bytes, from: dataStart, count: count, width: layout.count, trID: trID) { record, spans in
            let row = RecordReader(bytes: bytes, spans: spans, trID: trID, record: record, layout: layout)
            guard let day = NumberText.daysSinceEpoch(bytes, from: spans.starts[33], to: spans.ends[33]) else {
                throw row.error(33, "expected a YYYYMMDD date")
            }
            let second = try row.secondOfDay(1)
            let sign = row.byte(3)
            let signCode: String? = sign.map { String(UnicodeScalar($0)) }
            let side: TradeSide = switch row.byte(21) {
            case UInt8(ascii: "1"): .buy
            case UInt8(ascii: "5"): .sell
            default: .unknown
            }
            let epoch = Int64(day) * 86_400 + Int64(second) - KST.offsetSeconds
            ticks.append(Tick(
                provider: .kis, symbol: try row.symbol(0),
                time: Date(timeIntervalSince1970: TimeInterval(epoch)), receivedAt: receivedAt,
                price: try row.int(2), volume: abs(try row.int(12)), side: side,
                change: SignCode.signed(try row.int(4), code: signCode),
                changeRate: SignCode.signed(try row.decimal(5), code: signCode),
                cumVolume: try row.optionalInt(13), cumValue: try row.optionalInt(14),
                open: try row.optionalInt(7), high: try row.optionalInt(8), low: try row.optionalInt(9),
                askPrice: try row.optionalInt(10), bidPrice: try row.optionalInt(11),
                marketClass: wide ? try row.code(46) : nil,
                sourceType: .realtime
            ))
        }
        return ticks
    }

    /// `H0STASP0`-layout records as 10-level order books. The frame carries a time of day only; the date is
    /// the KST date of `receivedAt`.
    static func orderBooks(_ bytes: UnsafeBufferPointer<UInt8>, from dataStart: Int, count: Int, trID: String, receivedAt: Date) throws -> [OrderBook] {
        var books: [OrderBook] = []
        books.reserveCapacity(count)
        let day = Int64(KSTDate(receivedAt).daysSinceEpoch)
        // Live KRX books carry 3 undocumented trailing fields (62 instead of 59); accept both layouts.
        let fields = fieldCount(bytes, from: dataStart)
        let layout = fields == count * KISRealtimeLayout.orderBookExtended.count ? KISRealtimeLayout.orderBookExtended : KISRealtimeLayout.orderBook
        try forEachRecord(bytes, from: dataStart, count: count, width: layout.count, trID: trID) { record, spans in
            let row = RecordReader(bytes: bytes, spans: spans, trID: trID, record: record, layout: layout)
            let second = try row.secondOfDay(1)
            var asks: [PriceLevel] = [], bids: [PriceLevel] = []
            asks.reserveCapacity(OrderBook.depth)
            bids.reserveCapacity(OrderBook.depth)
            for level in 0..<OrderBook.depth {
                asks.append(PriceLevel(price: try row.int(3 + level), quantity: try row.int(23 + level)))
                bids.append(PriceLevel(price: try row.int(13 + level), quantity: try row.int(33 + level)))
            }
            books.append(OrderBook(
                provider: .kis, symbol: try row.symbol(0),
                time: Date(timeIntervalSince1970: TimeInterval(day * 86_400 + Int64(second) - KST.offsetSeconds)),
                receivedAt: receivedAt, asks: asks, bids: bids,
                totalAskQuantity: try row.int(43), totalBidQuantity: try row.int(44), sourceType: .realtime
            ))
        }
        return books
    }
}
