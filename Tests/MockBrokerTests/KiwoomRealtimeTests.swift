import BrokerCore
import BrokerWire
import Foundation
import HummingbirdWSClient
import MockBroker
import Testing

@Suite("Mock broker: Kiwoom WebSocket", .timeLimit(.minutes(5)), .serialized)
struct KiwoomRealtimeTests {
    /// Issue #18 item 10: registrations are bounded — 100 items a group (the sheet's "about 100"), a session cap
    /// — and checked before the item × type product is built.
    @Test func registrationsAreBounded() async throws {
        let configuration = MockHarness.configuration { $0.kiwoomSubscriptionCap = 150 }
        try await MockHarness.run(configuration) { broker, base in
            let token = try await MockHarness.kiwoomToken(base, MockHarness.key(broker, .kiwoom))
            let symbols = broker.market.universe.symbols.map(\.code)
            @Sendable func reg(_ group: String, _ items: ArraySlice<String>) -> String {
                #"{"trnm":"REG","grp_no":"\#(group)","refresh":"1","data":[{"item":[\#(items.map { "\"\($0)\"" }.joined(separator: ","))],"type":["0B","0D"]}]}"#
            }
            let codes = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/api/dostk/websocket")) { inbound, outbound in
                try await outbound.write(.text(#"{"trnm":"LOGIN","token":"\#(token)"}"#))
                let requests = [
                    reg("1", symbols[0..<101]),  // one item too many for a group
                    reg("1", symbols[0..<60]),  // 120 registrations
                    reg("2", symbols[60..<80]),  // 40 more: past the session's 150
                    reg("2", symbols[60..<75]),  // 30 more: 150 in all
                ]
                var codes: [Int] = []
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, let json = try? JSONParser.parse(text) else { continue }
                    switch json["trnm"]?.stringValue {
                    case "LOGIN": try await outbound.write(.text(requests[0]))
                    case "REG":
                        codes.append(json["return_code"]?.intValue ?? -1)
                        if codes.count == requests.count { return codes }
                        try await outbound.write(.text(requests[codes.count]))
                    default: break
                    }
                }
                return codes
            }
            #expect(codes == [2, 0, 2, 0])
            #expect(broker.stats.snapshot(.kiwoom).errors["registration_cap"] == 1)
        }
    }

    @Test func loginRegisterRealAndSessionReplacement() async throws {
        let configuration = MockHarness.configuration { $0.pingInterval = .milliseconds(300) }
        try await MockHarness.run(configuration) { broker, base in
            let key = MockHarness.key(broker, .kiwoom)
            let token = try await MockHarness.kiwoomToken(base, key)
            let url = RealtimeHarness.wsURL(base, "/api/dostk/websocket")
            let (ticks, system, pinged) = try await RealtimeHarness.session(url) { inbound, outbound in
                try await outbound.write(.text(#"{"trnm":"LOGIN","token":"\#(token)"}"#))
                var ticks: [Tick] = []
                var system: String?
                var pinged = false
                var registered = false
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KiwoomRealtimeParser.parse(text, receivedAt: Date()) {
                    case .login(let failure):
                        #expect(failure == nil)
                        try await outbound.write(.text(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["005930","000660"],"type":["0B"]}]}"#))
                    case .registration(_, let failure):
                        #expect(failure == nil)
                        registered = true
                    case .ping(let raw):
                        pinged = true
                        try await outbound.write(.text(raw))
                    case .real(let records, _):
                        ticks += records.compactMap { if case .tick(let tick) = $0 { tick } else { nil } }
                        if ticks.count >= 5, registered, pinged {
                            // Another login with the same key replaces this session.
                            let other = try await MockHarness.kiwoomToken(base, key)
                            Task {
                                try await WebSocketClient.connect(url: url, logger: RealtimeHarness.logger) { _, outbound2, _ in
                                    try await outbound2.write(.text(#"{"trnm":"LOGIN","token":"\#(other)"}"#))
                                    try await Task.sleep(for: .seconds(2))
                                }
                            }
                        }
                    case .system(let code, _):
                        system = code
                    default: break
                    }
                    if system != nil { break }
                }
                return (ticks, system, pinged)
            }
            #expect(ticks.count >= 5)
            #expect(Set(ticks.map(\.symbol)).isSubset(of: ["005930", "000660"]))
            #expect(system == "R10001")
            #expect(pinged)
        }
    }

    @Test func loginWithABadTokenIsRefusedAndClosed() async throws {
        try await MockHarness.run { _, base in
            let replies = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/api/dostk/websocket"), seconds: 5) { inbound, outbound in
                try await outbound.write(.text(#"{"trnm":"LOGIN","token":"bad"}"#))
                var replies: [String] = []
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { replies.append(text) }
                }
                return replies
            }
            let login = try KiwoomRealtimeParser.parse(try #require(replies.first), receivedAt: Date())
            guard case .login(let failure) = login else { Issue.record("not a LOGIN answer"); return }
            #expect(failure?.code == "8005")
            #expect(replies.count == 1)
        }
    }
}
