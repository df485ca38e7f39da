import BrokerCore
import BrokerWire
import Foundation
import Testing

/// The direct scanner for `REAL` messages: what the JSON tree allowed, it allows (any member order, spaces,
/// numbers, escapes, `null`, repeated names), and it refuses what the tree refused with the same messages.
/// (FuzzCorpusTests compares it with the tree reference on every corpus input and on mutations of the fixtures.)
@Suite("Kiwoom REAL scanner")
struct KiwoomRealtimeScannerTests {
    static let receivedAt = KST.instant(KSTDate(year: 2025, month: 10, day: 24)!, hour: 10, minute: 31, second: 20)

    static let canonical = #"{"trnm":"REAL","data":[{"type":"0B","name":"주식체결","item":"005930","values":{"20":"103101","10":"-97500","11":"-200","12":"-0.20","15":"-1203","13":"9656085","14":"947116","16":"+98000","17":"+98600","18":"-97300","27":"-97600","28":"-97500","9081":"1"}}]}"#

    func ticks(_ message: String) throws -> [Tick] {
        guard case .real(let records, _) = try KiwoomRealtimeParser.parse(message, receivedAt: Self.receivedAt) else {
            Issue.record("not a REAL message")
            return []
        }
        return records.compactMap { if case .tick(let tick) = $0 { tick } else { nil } }
    }

    func failure(_ message: String) -> String? {
        do {
            _ = try KiwoomRealtimeParser.parse(message, receivedAt: Self.receivedAt)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func readsTheTradeFields() throws {
        let tick = try #require(try ticks(Self.canonical).first)
        #expect(tick.symbol == "005930" && tick.price == 97_500 && tick.volume == 1_203 && tick.side == .sell)
        #expect(tick.change == -200 && tick.changeRate == FixedDecimal("-0.20") && tick.cumVolume == 9_656_085)
        #expect(tick.cumValue == 947_116_000_000 && tick.open == 98_000 && tick.high == 98_600 && tick.low == 97_300)
        #expect(tick.askPrice == 97_600 && tick.bidPrice == 97_500)
        #expect(tick.time == KST.instant(KSTDate(year: 2025, month: 10, day: 24)!, hour: 10, minute: 31, second: 1))
    }

    @Test func memberOrderSpacesNumbersAndEscapesReadAlike() throws {
        let expected = try ticks(Self.canonical)
        let variants = [
            // data before trnm, values before type, whitespace everywhere
            #" { "data" : [ { "values" : { "9081":"1", "28":"-97500","27":"-97600","18":"-97300","17":"+98600","16":"+98000","14":"947116","13":"9656085","15":"-1203","12":"-0.20","11":"-200","10":"-97500","20":"103101" } , "item":"005930","name":"주식체결","type":"0B" } ] , "trnm" : "REAL" } "#,
            // numbers instead of strings, padded strings, an escaped name and an escaped value
            #"{"trnm":"REAL","data":[{"type":"0B","name":"\uc8fc\uc2dd","item":"005930","values":{"20":"103101","10":-97500,"11":" -200 ","12":-0.20,"15":"\u002d1203","13":9656085,"14":"947116","16":"+98000","17":"+98600","18":"-97300","27":"-97600","28":"-97500"}}]}"#,
            // a repeated member name keeps its last value; escaped member names count as their text
            #"{"trnm":"LOGIN","trnm":"REAL","data":[{"type":"0D","type":"0B","item":"000000","item":"005930","values":{"10":"1"},"values":{"2\u0030":"103101","10":"-97500","11":"-200","12":"-0.20","15":"-1203","13":"9656085","14":"947116","16":"+98000","17":"+98600","18":"-97300","27":"-97600","28":"-97500"}}]}"#,
        ]
        for variant in variants {
            #expect(try ticks(variant) == expected, "\(variant)")
        }
    }

    @Test func nullAndEmptyOptionalFieldsAreAbsent() throws {
        let message = #"{"trnm":"REAL","data":[{"type":"0B","item":"A005930","values":{"20":"103101","10":"-97500","15":"+5","11":null,"12":"","13":"  ","27":null}}]}"#
        let tick = try #require(try ticks(message).first)
        #expect(tick.symbol == "005930" && tick.side == .buy && tick.change == 0 && tick.changeRate == .zero)
        #expect(tick.cumVolume == nil && tick.askPrice == nil && tick.open == nil)
    }

    @Test func errorsNameTheEntryAndTheField() {
        let cases: [(String, String)] = [
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"10":"-97500","15":"1"}}]}"#, "Kiwoom REAL 0B record 0 field 20: missing"),
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"  ","10":"-97500","15":"1"}}]}"#, "Kiwoom REAL 0B record 0 field 20: empty"),
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"103101","10":"-97,5OO","15":"1"}}]}"#, #"Kiwoom REAL 0B record 0 field 10: expected an integer, got "-97,5OO""#),
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"256199","10":"1","15":"1"}}]}"#, #"Kiwoom REAL 0B record 0 field 20: expected an HHMMSS time, got "256199""#),
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"103101","10":"1","15":"1","12":"1.2.3"}}]}"#, #"Kiwoom REAL 0B record 0 field 12: expected a decimal, got "1.2.3""#),
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"103101","10":true,"15":"1"}}]}"#, "Kiwoom REAL 0B record 0 field 10: expected a string, got true"),
            (#"{"trnm":"REAL","data":[{"type":"0Z","item":"1"},{"item":"005930"}]}"#, "Kiwoom REAL record 1 field type: missing"),
            (#"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":["20"]}]}"#, #"Kiwoom REAL 0B record 0 field values: expected an object, got ["20"]"#),
            (#"{"trnm":"REAL","data":[{"type":"0D","item":"005930"}]}"#, "Kiwoom REAL 0D record 0 field values: missing"),
            (#"{"trnm":"REAL","data":[{"type":"0B","values":{}}]}"#, "Kiwoom REAL 0B record 0 field item: missing"),
            (#"{"trnm":"REAL","data":{}}"#, "Kiwoom REAL field data: missing or not an array"),
            (#"{"data":[]}"#, "Kiwoom message field trnm: missing"),
            (#"{"trnm":"REAL","data":[}"#, "Kiwoom message: not valid JSON: unexpected character '}' at byte 23"),
            (#"{"trnm":"REAL","data":[]} x"#, "Kiwoom message: not valid JSON: unexpected trailing characters at byte 26"),
            (#"{"trnm":"REAL","data":[{"type":"0B","values":{"20":"1\u"}}]}"#, "Kiwoom message: not valid JSON: invalid hex digit in \\u escape at byte 55"),
        ]
        for (message, expected) in cases {
            #expect(failure(message)?.contains(": " + expected) == true, "\(message) → \(failure(message) ?? "no error"), expected \(expected)")
        }
    }

    @Test func invalidUTF8InsideAStringIsRefused() {
        var bytes = Array(Self.canonical.utf8)
        let name = try! #require(Self.canonical.utf8.firstIndex(of: 0xEC)) // 주
        bytes[Self.canonical.utf8.distance(from: Self.canonical.utf8.startIndex, to: name)] = 0xFF
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { try KiwoomRealtimeParser.parse(bytes: buffer, receivedAt: Self.receivedAt) }
        }
        guard case .failure(let error) = result else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect("\(error)".contains("invalid UTF-8 in string"))
    }

    @Test func controlMessagesStillRead() throws {
        guard case .ping(let raw) = try KiwoomRealtimeParser.parse(#"{"trnm":"PING"}"#, receivedAt: Self.receivedAt) else {
            Issue.record("not a ping")
            return
        }
        #expect(raw == #"{"trnm":"PING"}"#)
        guard case .system(let code, _) = try KiwoomRealtimeParser.parse(#"{"message":"x","code":"R10001","trnm":"SYSTEM"}"#, receivedAt: Self.receivedAt) else {
            Issue.record("not a system notice")
            return
        }
        #expect(code == "R10001")
    }
}
