import BrokerCore
import BrokerWire
import Foundation
import Testing

@Suite("KIS realtime frames", .timeLimit(.minutes(5)))
struct KISRealtimeParserTests {
    /// The reference sheet's example frame.
    static let sheetRecord = "005930^093354^71900^5^-100^-0.14^71990.50^72000^72300^71700^71900^71800^10^3052507^219853241700^5105^6937^1832^84.90^1366638^1160240^1^0.38^20.92^090020^5^-100^090820^5^-400^092619^2^200^20230612^20^N^65945^216924^1118750^2199206^0.05^20416076^14.95^0^^72000"
    static let receivedAt = KST.instant(KSTDate(year: 2023, month: 6, day: 12)!, hour: 9, minute: 33, second: 55)

    static func fields(_ record: String) -> [String] { record.split(separator: "^", omittingEmptySubsequences: false).map(String.init) }

    static func record(_ changes: [Int: String]) -> String {
        var values = fields(sheetRecord)
        for (index, value) in changes { values[index] = value }
        return values.joined(separator: "^")
    }

    func ticks(_ frame: String) throws -> [Tick] {
        guard case .ticks(let trID, let ticks) = try KISRealtimeParser.parse(frame, receivedAt: Self.receivedAt) else {
            Issue.record("not a tick frame")
            return []
        }
        #expect(trID.hasSuffix("CNT0"))
        return ticks
    }

    @Test func sheetExampleHas46Fields() {
        #expect(Self.fields(Self.sheetRecord).count == 46)
        #expect(KISRealtimeLayout.trade.count == 46)
        #expect(KISRealtimeLayout.orderBook.count == 59)
        #expect(KISRealtimeLayout.executionNotice.count == 26)
    }

    @Test func parsesTheSheetExample() throws {
        let tick = try #require(try ticks("0|H0STCNT0|001|" + Self.sheetRecord).first)
        #expect(tick.provider == .kis)
        #expect(tick.symbol == "005930")
        #expect(KST.iso8601(tick.time) == "2023-06-12T09:33:54+09:00")
        #expect(tick.receivedAt == Self.receivedAt)
        #expect(tick.price == 71900)
        #expect(tick.change == -100)
        #expect(tick.changeRate == FixedDecimal("-0.14"))
        #expect(tick.volume == 10)
        #expect(tick.cumVolume == 3_052_507)
        #expect(tick.cumValue == 219_853_241_700)
        #expect(tick.side == .buy)
        #expect(tick.open == 72000 && tick.high == 72300 && tick.low == 71700)
        #expect(tick.askPrice == 71900 && tick.bidPrice == 71800)
        #expect(tick.sourceType == .realtime)
    }

    @Test func parsesSeveralRecordsPerFrame() throws {
        let records = [
            Self.sheetRecord,
            Self.record([0: "000660", 1: "093355", 2: "130500", 3: "2", 4: "1500", 5: "1.16", 12: "7", 21: "5"]),
            Self.record([1: "093356", 12: "3"]),
        ]
        let parsed = try ticks("0|H0STCNT0|003|" + records.joined(separator: "^"))
        #expect(parsed.count == 3)
        #expect(parsed.map(\.symbol) == ["005930", "000660", "005930"])
        #expect(parsed[1].price == 130_500)
        #expect(parsed[1].change == 1500)
        #expect(parsed[1].side == .sell)
        #expect(parsed.map(\.volume) == [10, 7, 3])
    }

    /// KIS appends `MARKET_CLS_CODE` to every H0STCNT0 record since 2026-09-14: 47 fields, same first 46.
    @Test func parses47FieldRecordsWithTheMarketClass() throws {
        #expect(KISRealtimeLayout.tradeWithMarketClass.count == 47)
        #expect(KISRealtimeLayout.tradeWithMarketClass.last == "MARKET_CLS_CODE")
        let narrow = try #require(try ticks("0|H0STCNT0|001|" + Self.sheetRecord).first)
        #expect(narrow.marketClass == nil)
        let wide = try #require(try ticks("0|H0STCNT0|001|" + Self.sheetRecord + "^J").first)
        #expect(wide.marketClass == "J")
        var sameAsNarrow = wide
        sameAsNarrow.marketClass = nil
        #expect(sameAsNarrow == narrow)
        let records = [Self.sheetRecord + "^J", Self.record([0: "000660", 12: "7"]) + "^", Self.record([1: "093356"]) + "^NX"]
        let parsed = try ticks("0|H0UNCNT0|003|" + records.joined(separator: "^"))
        #expect(parsed.map(\.symbol) == ["005930", "000660", "005930"])
        #expect(parsed.map(\.marketClass) == ["J", nil, "NX"])
        #expect(parsed.map(\.volume) == [10, 7, 10])
    }

    @Test func aBadFieldOfA47FieldRecordIsNamed() {
        let frame = "0|H0STCNT0|002|" + Self.sheetRecord + "^J^" + Self.record([12: "ten"]) + "^J"
        #expect {
            try KISRealtimeParser.parse(frame, receivedAt: Self.receivedAt)
        } throws: { error in
            (error as? BrokerHubError)?.message.contains("H0STCNT0 record 1 field CNTG_VOL") == true
        }
    }

    @Test func signCodeDecidesDirection() throws {
        // Unsigned change with sign 5 (하락) still becomes negative; sign 3 (보합) is zero.
        let down = try #require(try ticks("0|H0STCNT0|001|" + Self.record([3: "5", 4: "100", 5: "0.14"])).first)
        #expect(down.change == -100)
        #expect(down.changeRate == FixedDecimal("-0.14"))
        let flat = try #require(try ticks("0|H0STCNT0|001|" + Self.record([3: "3", 4: "0", 5: "0.00"])).first)
        #expect(flat.change == 0)
    }

    @Test func acceptsVenueVariants() throws {
        #expect(try ticks("0|H0NXCNT0|001|" + Self.sheetRecord).count == 1)
        #expect(try ticks("0|H0UNCNT0|001|" + Self.sheetRecord).count == 1)
    }

    @Test func parsesOrderBooks() throws {
        var fields = ["005930", "093354", "0"]
        fields += (0..<10).map { String(71900 + $0 * 100) }
        fields += (0..<10).map { String(71800 - $0 * 100) }
        fields += (0..<10).map { String(1000 + $0) }
        fields += (0..<10).map { String(2000 + $0) }
        fields += ["10045", "20045", "0", "0", "71900", "100", "3052507", "0", "3", "0.00", "3052507", "5", "-5", "0", "0", "0"]
        #expect(fields.count == 59)
        let message = try KISRealtimeParser.parse("0|H0STASP0|001|" + fields.joined(separator: "^"), receivedAt: Self.receivedAt)
        guard case .orderBooks(_, let books) = message, let book = books.first else {
            Issue.record("not an order book")
            return
        }
        #expect(book.symbol == "005930")
        #expect(KST.iso8601(book.time) == "2023-06-12T09:33:54+09:00")
        #expect(book.asks.count == 10 && book.bids.count == 10)
        #expect(book.asks[0] == PriceLevel(price: 71900, quantity: 1000))
        #expect(book.bids[9] == PriceLevel(price: 70900, quantity: 2009))
        #expect(book.totalAskQuantity == 10045 && book.totalBidQuantity == 20045)
    }

    @Test func recognisesControlMessages() throws {
        let ping = #"{"header":{"tr_id":"PINGPONG","datetime":"20230612093354"}}"#
        guard case .pingPong(let raw) = try KISRealtimeParser.parse(ping, receivedAt: Self.receivedAt) else {
            Issue.record("PINGPONG not recognised")
            return
        }
        #expect(raw == ping)

        let ack = #"{"header":{"tr_id":"H0STCNT0","tr_key":"005930","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"SUBSCRIBE SUCCESS","output":{"iv":"d59d91fcf9fd0044","key":"iuheqrmvfxoceaxeyqgjwesozgizmmgx"}}}"#
        guard case .ack(let parsed) = try KISRealtimeParser.parse(ack, receivedAt: Self.receivedAt) else {
            Issue.record("ack not recognised")
            return
        }
        #expect(parsed.outcome == .subscribed && parsed.succeeded)
        #expect(parsed.trKey == "005930")
        #expect(parsed.key?.count == 32 && parsed.iv?.count == 16)

        let full = #"{"header":{"tr_id":"H0STCNT0","tr_key":"035720","encrypt":"N"},"body":{"rt_cd":"1","msg_cd":"OPSP0008","msg1":"MAX SUBSCRIBE OVER"}}"#
        guard case .ack(let refused) = try KISRealtimeParser.parse(full, receivedAt: Self.receivedAt) else {
            Issue.record("ack not recognised")
            return
        }
        #expect(refused.outcome == .maxSubscriptions && !refused.succeeded)
    }

    @Test func keepsEncryptedFramesForDecryption() throws {
        guard case .encrypted(let trID, let count, let payload) = try KISRealtimeParser.parse("1|H0STCNI0|001|QUJDRA==", receivedAt: Self.receivedAt) else {
            Issue.record("encrypted frame not recognised")
            return
        }
        #expect(trID == "H0STCNI0" && count == 1 && payload == "QUJDRA==")
    }

    @Test(arguments: [
        ("0|H0STCNT0|001|" + fields(sheetRecord).dropLast().joined(separator: "^"), "ends after 45 fields"),
        ("0|H0STCNT0|002|" + sheetRecord, "declares 2 records"),
        ("0|H0STCNT0|001|" + sheetRecord + "^J^extra", "2 more fields"),
        ("0|H0STCNT0|002|" + sheetRecord + "^" + sheetRecord + "^J", "1 more fields"),
        ("0|H0STCNT0|001|" + sheetRecord + "^" + String(repeating: "J", count: 17), "field MARKET_CLS_CODE"),
        ("0|H0STCNT0|001|" + record([2: "71,900"]), "field STCK_PRPR"),
        ("0|H0STCNT0|001|" + record([1: "0933"]), "field STCK_CNTG_HOUR"),
        ("0|H0STCNT0|001|" + record([33: "20231312"]), "field BSOP_DATE"),
        ("0|H0STCNT0|001|" + record([5: "-0.1a"]), "field PRDY_CTRT"),
        ("0|H0STCNT0|001|" + record([0: ""]), "field MKSC_SHRN_ISCD"),
        ("0|H0STCNT0|00", "truncated"),
        ("0|H0STCNT0|", "truncated"),
        ("0|H0STCNT0|0x1|abc", "record count"),
        ("0|H0STCNT0|000|", "record count"),
        ("2|H0STCNT0|001|abc", "expected '0|'"),
        ("", "empty"),
        (#"{"header":{"tr_id""#, "not valid JSON"),
        (#"{"body":{}}"#, "header.tr_id"),
    ])
    func rejectsMalformedFrames(frame: String, expected: String) {
        do {
            _ = try KISRealtimeParser.parse(frame, receivedAt: Self.receivedAt)
            Issue.record("accepted a malformed frame: \(frame.prefix(60))")
        } catch let error as BrokerHubError {
            #expect(error.code == .malformedPayload)
            #expect(error.message.contains(expected), "message: \(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func secondRecordErrorNamesTheRecord() {
        let frame = "0|H0STCNT0|002|" + Self.sheetRecord + "^" + Self.record([12: "ten"])
        #expect {
            try KISRealtimeParser.parse(frame, receivedAt: Self.receivedAt)
        } throws: { error in
            (error as? BrokerHubError)?.message.contains("H0STCNT0 record 1 field CNTG_VOL") == true
        }
    }

    @Test func unknownTransactionIsUnsupported() {
        #expect {
            try KISRealtimeParser.parse("0|H0XXXXX0|001|a^b", receivedAt: Self.receivedAt)
        } throws: { error in
            (error as? BrokerHubError)?.code == .unsupportedTransaction
        }
    }

    @Test func survivesRandomGarbage() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789|^H0STCNT{}\":,.-+ abc".utf8)
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<200, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let frame = (Bool.random(using: &generator) ? "0|H0STCNT0|001|" : "") + String(decoding: bytes, as: UTF8.self)
            do {
                _ = try KISRealtimeParser.parse(frame, receivedAt: Self.receivedAt)
            } catch is BrokerHubError {
                // expected: a clear error
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
    }
}
