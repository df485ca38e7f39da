import BrokerCore
import BrokerWire
import Foundation
import MockBroker
import Testing

/// Stream mode (`RealtimeControl.streamRate`, `/_mock/realtime`): many valid trades quickly, counted.
@Suite("Mock broker: stream mode", .timeLimit(.minutes(5)), .serialized)
struct StreamModeTests {
    static let symbols = ["005930", "000660", "035420"]

    /// Checks a symbol's ticks are the market's trades in order: cumulative volume rises within a day and
    /// days only move forward. Kiwoom `0B` carries no date (the parser uses the receipt day), so there a new
    /// day shows as the cumulative volume starting again at the trade's own volume.
    static func expectMarketOrder(_ ticks: [Tick], carriesDate: Bool = true) {
        for (previous, next) in zip(ticks, ticks.dropFirst()) {
            let previousDay = KSTDate(previous.time), nextDay = KSTDate(next.time)
            #expect(nextDay >= previousDay)
            guard nextDay == previousDay, let before = previous.cumVolume, let after = next.cumVolume else { continue }
            if carriesDate || after > before {
                #expect(after > before, "\(next.symbol): cumulative volume must rise within a day")
            } else {
                #expect(after == next.volume, "\(next.symbol): a new day starts with its first trade")
            }
        }
    }

    @Test func kisStreamsManyValidTradesSharedOverItsSubscriptions() async throws {
        let configuration = MockHarness.configuration { $0.realtime = RealtimeControl(streamRate: 20_000, recordsPerFrame: 8) }
        try await MockHarness.run(configuration) { broker, base in
            let approval = try await RealtimeHarness.approvalKey(base, MockHarness.key(broker, .kis))
            let (ticks, frameSizes) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/"), seconds: 120) { inbound, outbound in
                for symbol in Self.symbols {
                    try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", symbol)))
                }
                var ticks: [String: [Tick]] = [:]
                var frameSizes = Set<Int>()
                var total = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, case .ticks(_, let parsed) = try KISRealtimeParser.parse(text, receivedAt: Date()) else { continue }
                    frameSizes.insert(parsed.count)
                    for tick in parsed { ticks[tick.symbol, default: []].append(tick) }
                    total += parsed.count
                    if total >= 30_000 { break }
                }
                return (ticks, frameSizes)
            }
            let total = ticks.values.map(\.count).reduce(0, +)
            #expect(total >= 30_000)
            #expect(frameSizes.isSubset(of: Set(1...8)) && frameSizes.contains(8))
            for symbol in Self.symbols {
                let received = ticks[symbol] ?? []
                // An even share each (the split rotates), give or take the frames in flight.
                #expect(received.count > total / 4, "\(symbol) got \(received.count) of \(total)")
                Self.expectMarketOrder(received)
                let market = try #require(broker.market.universe[symbol])
                for tick in received.prefix(50) {
                    let session = try #require(broker.market.session(market, on: KSTDate(tick.time)))
                    #expect(tick.cumVolume.map { session.cumulativeVolume.contains($0) } == true)
                }
            }
            let sent = Self.symbols.map { broker.stats.recordsSent(.kis, channel: "ticker", symbol: $0) }.reduce(0, +)
            #expect(sent >= total)
            #expect(broker.stats.snapshot(.kis).recordsSent == sent)
        }
    }

    @Test func kiwoomStreamsRealMessagesOfBoundedSize() async throws {
        let configuration = MockHarness.configuration { $0.realtime = RealtimeControl(streamRate: 20_000, recordsPerFrame: 50) }
        try await MockHarness.run(configuration) { broker, base in
            let token = try await MockHarness.kiwoomToken(base, MockHarness.key(broker, .kiwoom))
            let (ticks, largest) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/api/dostk/websocket"), seconds: 120) { inbound, outbound in
                try await outbound.write(.text(#"{"trnm":"LOGIN","token":"\#(token)"}"#))
                var ticks: [String: [Tick]] = [:]
                var largest = 0, total = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KiwoomRealtimeParser.parse(text, receivedAt: Date()) {
                    case .login:
                        try await outbound.write(.text(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["005930","000660"],"type":["0B"]}]}"#))
                    case .ping(let raw):
                        try await outbound.write(.text(raw))
                    case .real(let records, let unsupported):
                        #expect(unsupported.isEmpty)
                        largest = max(largest, records.count)
                        for case .tick(let tick) in records { ticks[tick.symbol, default: []].append(tick) }
                        total += records.count
                    default: break
                    }
                    if total >= 20_000 { break }
                }
                return (ticks, largest)
            }
            #expect(largest == 50)
            for symbol in ["005930", "000660"] {
                #expect((ticks[symbol]?.count ?? 0) > 8_000)
                Self.expectMarketOrder(ticks[symbol] ?? [], carriesDate: false)
            }
            let sent = broker.stats.recordsSent(.kiwoom, channel: "ticker")
            #expect(sent >= ticks.values.map(\.count).reduce(0, +))
        }
    }

    @Test func theRealtimeControlEndpointSwitchesStreamModeAtRuntime() async throws {
        try await MockHarness.run { broker, base in
            let initial = try #require(try await MockHarness.send(.GET, base + "/_mock/realtime").json)
            #expect(initial["stream_rate"]?.intValue == nil)
            #expect(initial["records_per_frame"]?.intValue == 10)
            let set = try await MockHarness.send(.POST, base + "/_mock/realtime", body: #"{"stream_rate":5000,"records_per_frame":4,"notice_interval_ms":250}"#)
            #expect(set.status == 200)
            #expect(broker.realtime == RealtimeControl(streamRate: 5_000, recordsPerFrame: 4, noticeIntervalMilliseconds: 250))
            let refused = try await MockHarness.send(.POST, base + "/_mock/realtime", body: #"{"records_per_frame":0}"#)
            #expect(refused.status == 400)
            #expect(broker.realtime.streamRate == 5_000)

            // A live session follows the switch: streamed trades arrive in frames of 4, then stop at 0.
            let approval = try await RealtimeHarness.approvalKey(base, MockHarness.key(broker, .kis))
            let counts = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/"), seconds: 60) { inbound, outbound in
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                var counts = Set<Int>()
                var total = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, case .ticks(_, let parsed) = try KISRealtimeParser.parse(text, receivedAt: Date()) else { continue }
                    counts.insert(parsed.count)
                    total += parsed.count
                    if total >= 2_000 { break }
                }
                return counts
            }
            #expect(counts.max() == 4)
            let off = try await MockHarness.send(.POST, base + "/_mock/realtime", body: #"{"stream_rate":0}"#)
            #expect(off.status == 200)
            #expect(broker.realtime.streamRate == nil)
        }
    }
}
