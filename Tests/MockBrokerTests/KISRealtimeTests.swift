import BrokerCore
import BrokerWire
import Foundation
import HummingbirdWSClient
import MockBroker
import NIOCore
import NIOWebSocket
import Testing

@Suite("Mock broker: KIS WebSocket", .timeLimit(.minutes(5)), .serialized)
struct KISRealtimeTests {
    @Test func subscribeAcksAndTicksThatMatchTheMarket() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let approval = try await RealtimeHarness.approvalKey(base, key)
            let (acks, ticks) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/tryitout/H0STCNT0")) { inbound, outbound in
                var acks: [KISSubscriptionAck] = []
                var ticks: [Tick] = []
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KISRealtimeParser.parse(text, receivedAt: Date()) {
                    case .ack(let ack): acks.append(ack)
                    case .ticks(_, let parsed): ticks += parsed
                    default: break
                    }
                    if ticks.count >= 5, acks.count == 2 {
                        try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930", type: "2")))
                        try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930", type: "2")))
                    }
                    if acks.count == 4 { break }
                }
                return (acks, ticks)
            }
            #expect(acks.map(\.outcome) == [.subscribed, .alreadySubscribed, .unsubscribed, .notSubscribed])
            #expect(acks[0].key?.count == 32 && acks[0].iv?.count == 16)
            #expect(ticks.count >= 5)
            let symbol = try #require(broker.market.universe["005930"])
            for tick in ticks {
                let session = try #require(broker.market.session(symbol, on: KSTDate(tick.time)))
                #expect(session.prices.contains(tick.price))
                #expect(tick.cumVolume.map { session.cumulativeVolume.contains($0) } == true)
            }
            let stats = try await MockHarness.stats(base)
            #expect(stats["kis"]?["approval_keys_issued"]?.intValue == 1)
            #expect((stats["kis"]?["records_sent_by_symbol"]?["005930"]?.intValue ?? 0) >= ticks.count)
        }
    }

    @Test func subscriptionCapAndOneSessionPerAppKey() async throws {
        let configuration = MockHarness.configuration { $0.kisSubscriptionCap = 3 }
        try await MockHarness.run(configuration) { broker, base in
            let key = MockHarness.key(broker, .kis)
            let approval = try await RealtimeHarness.approvalKey(base, key)
            let url = RealtimeHarness.wsURL(base, "/tryitout")
            let outcomes = try await RealtimeHarness.session(url) { inbound, outbound in
                var outcomes: [KISSubscriptionAck.Outcome] = []
                for symbol in ["005930", "000660", "035420", "005380"] {
                    try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STASP0", symbol)))
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, case .ack(let ack) = try KISRealtimeParser.parse(text, receivedAt: Date()) else { continue }
                    outcomes.append(ack.outcome)
                    if outcomes.count == 4 {
                        // A second connection with the same app key is refused while this one lives.
                        let second = try await RealtimeHarness.session(url) { inbound2, outbound2 in
                            try await outbound2.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                            for try await message in inbound2.messages(maxSize: 1 << 20) {
                                if case .text(let text) = message, case .ack(let ack) = try KISRealtimeParser.parse(text, receivedAt: Date()) { return ack.outcome }
                            }
                            return KISSubscriptionAck.Outcome.failed
                        }
                        outcomes.append(second)
                        break
                    }
                }
                return outcomes
            }
            #expect(outcomes == [.subscribed, .subscribed, .subscribed, .maxSubscriptions, .appKeyInUse])
            let stats = try await MockHarness.stats(base)
            #expect(stats["kis"]?["errors"]?["OPSP0008"]?.intValue == 1)
        }
    }

    @Test func unansweredPingPongDisconnects() async throws {
        let configuration = MockHarness.configuration { $0.pingInterval = .milliseconds(200) }
        try await MockHarness.run(configuration) { _, base in
            let url = RealtimeHarness.wsURL(base, "/tryitout")
            // Silent client: one PINGPONG, then the server closes.
            let silent = try await RealtimeHarness.session(url, seconds: 5) { inbound, _ in
                var pings = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message, text.contains("PINGPONG") { pings += 1 }
                }
                return pings
            }
            #expect(silent == 1)
            // Echoing client: still connected after several intervals.
            let echoed = try await RealtimeHarness.session(url, seconds: 5) { inbound, outbound in
                var pings = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, text.contains("PINGPONG") else { continue }
                    pings += 1
                    try await outbound.write(.text(text))
                    if pings == 5 { break }
                }
                return pings
            }
            #expect(echoed == 5)
            // A client that answers with a WebSocket pong frame, as KIS's official samples do (`ws.pong(raw)`).
            let ponged = try await RealtimeHarness.session(url, seconds: 5) { inbound, outbound in
                var pings = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, text.contains("PINGPONG") else { continue }
                    pings += 1
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .pong, data: ByteBuffer(string: text))))
                    if pings == 5 { break }
                }
                return pings
            }
            #expect(ponged == 5)
        }
    }

    /// KIS sends 47 fields per H0STCNT0 record since 2026-09-14 (`MARKET_CLS_CODE` last); the mock does so by
    /// default and sends the old 46 for clients written for them.
    @Test(arguments: [47, 46])
    func tradeRecordsHaveTheConfiguredWidth(fields: Int) async throws {
        let configuration = MockHarness.configuration { $0.kisTickFields = fields }
        try await MockHarness.run(configuration) { broker, base in
            let approval = try await RealtimeHarness.approvalKey(base, MockHarness.key(broker, .kis))
            let (frame, ticks) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/tryitout")) { inbound, outbound in
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, case .ticks(_, let ticks) = try KISRealtimeParser.parse(text, receivedAt: Date()) else { continue }
                    return (text, ticks)
                }
                return ("", [])
            }
            let parts = frame.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
            try #require(parts.count == 4)
            let records = try #require(Int(parts[2]))
            #expect(parts[3].split(separator: "^", omittingEmptySubsequences: false).count == records * fields)
            #expect(ticks.count == records)
            #expect(ticks.allSatisfy { $0.marketClass == (fields == 47 ? "J" : nil) })
        }
    }

    @Test func malformedAndFragmentedFrameFaults() async throws {
        let configuration = MockHarness.configuration {
            $0.faults.malformedFrameRate = 1
            $0.marketSpeed = 60
        }
        try await MockHarness.run(configuration) { broker, base in
            let key = MockHarness.key(broker, .kis)
            let approval = try await RealtimeHarness.approvalKey(base, key)
            let failures = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/")) { inbound, outbound in
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "000660")))
                var failures = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, text.hasPrefix("0|") else { continue }
                    do {
                        _ = try KISRealtimeParser.parse(text, receivedAt: Date())
                    } catch is BrokerHubError {
                        failures += 1
                    }
                    if failures == 3 { break }
                }
                return failures
            }
            #expect(failures == 3)
            let stats = try await MockHarness.stats(base)
            #expect((stats["kis"]?["faults_injected"]?["malformed_frame"]?.intValue ?? 0) >= 3)
        }
    }
}
