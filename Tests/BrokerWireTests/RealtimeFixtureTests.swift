import BrokerCore
import BrokerWire
import Foundation
import Testing

@Suite("Realtime fixtures", .timeLimit(.minutes(5)))
struct RealtimeFixtureTests {
    static let receivedAt = KST.instant(KSTDate(year: 2025, month: 10, day: 24)!, hour: 10, minute: 31, second: 20)

    /// The same frames in the 46-field layout and in KIS's 47-field layout of 2026-09-14.
    @Test(arguments: [("kis_H0STCNT0_frames.txt", nil), ("kis_H0STCNT0_frames_47fields.txt", "J")])
    func kisTradeFrames(fixture: String, marketClass: String?) throws {
        var ticks: [Tick] = []
        var multiRecordFrames = 0
        for line in try Fixture.lines(fixture) {
            guard case .ticks(_, let parsed) = try KISRealtimeParser.parse(line, receivedAt: Self.receivedAt) else {
                Issue.record("not a tick frame")
                continue
            }
            if parsed.count > 1 { multiRecordFrames += 1 }
            ticks += parsed
        }
        #expect(multiRecordFrames == 2)
        #expect(ticks.count == 8 + 3 + 4)
        #expect(Set(ticks.map(\.side)) == [.buy, .sell])
        #expect(ticks.allSatisfy { KSTDate($0.time) == KSTDate(year: 2025, month: 10, day: 24) && $0.price > 0 && $0.volume > 0 })
        #expect(ticks.allSatisfy { $0.marketClass == marketClass })
        for symbol in Set(ticks.map(\.symbol)) {
            let series = ticks.filter { $0.symbol == symbol }
            #expect(zip(series, series.dropFirst()).allSatisfy { ($0.cumVolume ?? 0) <= ($1.cumVolume ?? 0) }, "\(symbol)")
        }
    }

    @Test(arguments: ["kis_H0STASP0_frames.txt", "kis_H0STASP0_frames_62fields.txt"])
    func kisOrderBooks(fixture: String) throws {
        for line in try Fixture.lines(fixture) {
            guard case .orderBooks(_, let books) = try KISRealtimeParser.parse(line, receivedAt: Self.receivedAt) else {
                Issue.record("not an order book")
                continue
            }
            for book in books {
                #expect(book.asks.count == 10 && book.bids.count == 10)
                #expect(book.asks[0].price > book.bids[0].price)
                #expect(book.totalAskQuantity == book.asks.reduce(0) { $0 + $1.quantity })
                #expect(book.totalBidQuantity == book.bids.reduce(0) { $0 + $1.quantity })
            }
        }
    }

    @Test func kisControlFrames() throws {
        var outcomes: [KISSubscriptionAck.Outcome] = []
        var pings = 0
        for line in try Fixture.lines("kis_control_frames.txt") {
            switch try KISRealtimeParser.parse(line, receivedAt: Self.receivedAt) {
            case .pingPong: pings += 1
            case .ack(let ack): outcomes.append(ack.outcome)
            default: Issue.record("unexpected message")
            }
        }
        #expect(pings == 1)
        #expect(outcomes == [.subscribed, .alreadySubscribed, .maxSubscriptions, .unsubscribed])
    }

    @Test func kisBadFramesAllFailClearly() throws {
        let lines = try Fixture.lines("kis_bad_frames.txt")
        #expect(lines.count == 6)
        for line in lines {
            #expect(throws: BrokerHubError.self) { try KISRealtimeParser.parse(line, receivedAt: Self.receivedAt) }
        }
    }

    @Test func kiwoomMessages() throws {
        var ticks: [Tick] = [], books: [OrderBook] = []
        var kinds: [String] = []
        for line in try Fixture.lines("kiwoom_real_messages.txt") {
            switch try KiwoomRealtimeParser.parse(line, receivedAt: Self.receivedAt) {
            case .real(let records, let unsupported):
                #expect(unsupported.isEmpty)
                for record in records {
                    switch record {
                    case .tick(let tick): ticks.append(tick)
                    case .orderBook(let book): books.append(book)
                    default: Issue.record("unexpected record")
                    }
                }
            case .login(let failure): kinds.append(failure == nil ? "login" : "login-failed")
            case .registration(let trnm, let failure): kinds.append(failure == nil ? trnm : "\(trnm)-failed")
            case .ping: kinds.append("ping")
            case .system(let code, _): kinds.append(code)
            case .other(let trnm, _): kinds.append(trnm)
            }
        }
        #expect(ticks.count == 3)
        #expect(ticks.allSatisfy { $0.price > 0 && $0.volume > 0 && $0.provider == .kiwoom })
        #expect(Set(ticks.map(\.symbol)) == ["005930", "000660"])
        #expect(books.count == 1)
        #expect(books.first?.asks.count == 10)
        #expect(kinds == ["login", "REG", "ping", "R10001"])
    }

    @Test func kiwoomBadMessages() throws {
        var failures = 0, unsupported = 0
        for line in try Fixture.lines("kiwoom_bad_messages.txt") {
            do {
                if case .real(_, let entries) = try KiwoomRealtimeParser.parse(line, receivedAt: Self.receivedAt) { unsupported += entries.count }
            } catch is BrokerHubError {
                failures += 1
            }
        }
        #expect(failures == 3)
        #expect(unsupported == 1)
    }

    /// Found by `scripts/fuzz.sh kiwoom-frame` in CI: 누적거래대금 (field 14, millions of won) times a million
    /// overflowed `Int64` and trapped. Values that do not fit are refused as malformed, as is an order book whose
    /// total the broker left out and whose levels do not add up in an `Int64`.
    @Test func kiwoomAmountsThatDoNotFitAreRefusedNotTrapped() throws {
        let trade = #"{"trnm":"REAL","data":[{"type":"0B","name":"주식체결","item":"005930","values":{"20":"103101","10":"-97500","15":"-1203","14":"9443739113100"}}]}"#
        #expect(throws: BrokerHubError.self) { try KiwoomRealtimeParser.parse(trade, receivedAt: Self.receivedAt) }
        let huge = "999999999999999999"
        var values = [#""21":"103101""#]
        for level in 0..<10 {
            values += ["\"\(41 + level)\":\"97500\"", "\"\(51 + level)\":\"97400\"", "\"\(61 + level)\":\"\(huge)\"", "\"\(71 + level)\":\"1\""]
        }
        let book = #"{"trnm":"REAL","data":[{"type":"0D","name":"주식호가잔량","item":"005930","values":{"# + values.joined(separator: ",") + "}}]}"
        #expect(throws: BrokerHubError.self) { try KiwoomRealtimeParser.parse(book, receivedAt: Self.receivedAt) }
    }
}
