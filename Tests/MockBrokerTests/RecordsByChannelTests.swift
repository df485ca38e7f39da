import BrokerCore
import BrokerWire
import Foundation
import MockBroker
import Testing

@Suite("Mock broker: records sent per channel and symbol", .timeLimit(.minutes(5)), .serialized)
struct RecordsByChannelTests {
    @Test func kisTradesAndBooksAreCountedPerChannelAndSymbol() async throws {
        try await MockHarness.run(MockHarness.configuration { $0.marketSpeed = 60 }) { broker, base in
            let approval = try await RealtimeHarness.approvalKey(base, MockHarness.key(broker, .kis))
            let (ticks, books) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/")) { inbound, outbound in
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STASP0", "000660")))
                var ticks = 0, books = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KISRealtimeParser.parse(text, receivedAt: Date()) {
                    case .ticks(_, let parsed): ticks += parsed.filter { $0.symbol == "005930" }.count
                    case .orderBooks(_, let parsed): books += parsed.filter { $0.symbol == "000660" }.count
                    default: break
                    }
                    if ticks >= 10, books >= 3 { break }
                }
                return (ticks, books)
            }
            let stats = try await MockHarness.stats(base)
            let byChannel = try #require(stats["kis"]?["records_sent_by_channel"])
            let sentTicks = try #require(byChannel["ticker"]?["005930"]?.intValue)
            let sentBooks = try #require(byChannel["orderbook"]?["000660"]?.intValue)
            #expect(sentTicks >= ticks && sentBooks >= books)
            #expect(byChannel["ticker"]?["000660"] == nil && byChannel["orderbook"]?["005930"] == nil)
            // The snapshot API agrees with the JSON and the channels add up to records_sent.
            let snapshot = broker.stats.snapshot(.kis)
            #expect(broker.stats.recordsSent(.kis, channel: "ticker", symbol: "005930") >= sentTicks)
            #expect(snapshot.recordsByChannel.values.flatMap(\.values).reduce(0, +) == snapshot.recordsSent)
            #expect(broker.stats.snapshot()[.kis]?.recordsSent == snapshot.recordsSent)
        }
    }

    @Test func kiwoomTradesAndBooksAreCountedPerChannelAndSymbol() async throws {
        try await MockHarness.run(MockHarness.configuration { $0.marketSpeed = 60 }) { broker, base in
            let token = try await MockHarness.kiwoomToken(base, MockHarness.key(broker, .kiwoom))
            let (ticks, books) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/api/dostk/websocket")) { inbound, outbound in
                try await outbound.write(.text(#"{"trnm":"LOGIN","token":"\#(token)"}"#))
                var ticks = 0, books = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KiwoomRealtimeParser.parse(text, receivedAt: Date()) {
                    case .login:
                        try await outbound.write(.text(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["005930"],"type":["0B"]},{"item":["000660"],"type":["0D"]}]}"#))
                    case .ping(let raw):
                        try await outbound.write(.text(raw))
                    case .real(let records, _):
                        for record in records {
                            switch record {
                            case .tick(let tick) where tick.symbol == "005930": ticks += 1
                            case .orderBook(let book) where book.symbol == "000660": books += 1
                            default: break
                            }
                        }
                    default: break
                    }
                    if ticks >= 10, books >= 3 { break }
                }
                return (ticks, books)
            }
            let stats = try await MockHarness.stats(base)
            let byChannel = try #require(stats["kiwoom"]?["records_sent_by_channel"])
            #expect(try #require(byChannel["ticker"]?["005930"]?.intValue) >= ticks)
            #expect(try #require(byChannel["orderbook"]?["000660"]?.intValue) >= books)
            #expect(byChannel["ticker"]?["000660"] == nil)
            let snapshot = broker.stats.snapshot(.kiwoom)
            #expect(snapshot.recordsByChannel.values.flatMap(\.values).reduce(0, +) == snapshot.recordsSent)
            // Existing fields stay.
            #expect((stats["kiwoom"]?["records_sent_by_symbol"]?["005930"]?.intValue ?? 0) >= ticks)
        }
    }
}
