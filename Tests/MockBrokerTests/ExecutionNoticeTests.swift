import BrokerCore
import BrokerWire
import Foundation
import Testing
@testable import MockBroker

/// `H0STCNI0` execution notices: AES-256-CBC with the ack's key and iv, 26 fields.
@Suite("Mock broker: KIS execution notices", .timeLimit(.minutes(5)), .serialized)
struct ExecutionNoticeTests {
    /// The plaintext, key and iv below encrypted with `openssl enc -aes-256-cbc -K <hex(key)> -iv <hex(iv)>
    /// -base64 -A` (key/iv from the KIS sheet's example ack): the mock must produce exactly this.
    static let plaintext = "myhtsid^5012345601^0000001001^^02^0^00^0^005930^3^71200^093015^0^2^2^00950^3^모의투자^0^1^N^^10^^삼성전자^71200"
    static let key = "iuheqrmvfxoceaxeyqgjwesozgizmmgx"
    static let iv = "d59d91fcf9fd0044"
    static let ciphertext = "qVd9Pjr+XQDck7bNb88eQpLhh35auBbfCBUdzqoT4C4+UW8x6NC5NsBzF0/RkHhYZ6Qz6FLSLK9XD5k8Gn7gYjtGeEpXyVF6gDIqRm9YHNeOEkb9ltSPh4rAA0nZ1aJ8tzJSB7eui10zC7ehXeuTz9w8nZ7QgR/KHDUlWixe0uU="

    @Test func noticeEncryptionMatchesOpenSSL() throws {
        let fields = KISFrameEncoder.noticeFields(
            htsID: "myhtsid", orderNumber: 1001, symbol: "005930", name: "삼성전자", buy: true, quantity: 3, price: 71_200, second: 9 * 3600 + 30 * 60 + 15
        )
        #expect(fields.count == KISRealtimeLayout.executionNotice.count)
        #expect(fields.joined(separator: "^") == Self.plaintext)
        let frame = try KISFrameEncoder.encryptedFrame(trID: "H0STCNI0", fields: fields, key: Self.key, iv: Self.iv)
        #expect(frame == "1|H0STCNI0|001|" + Self.ciphertext)
        #expect(KISFrameEncoder.decryptNotice(Self.ciphertext, key: Self.key, iv: Self.iv) == fields)
        #expect(KISFrameEncoder.decryptNotice(Self.ciphertext, key: String(Self.key.reversed()), iv: Self.iv) != fields)
    }

    @Test func subscribersGetEncryptedNoticesWithTheirAcksKeyAndIV() async throws {
        let configuration = MockHarness.configuration { $0.realtime.noticeIntervalMilliseconds = 100 }
        try await MockHarness.run(configuration) { broker, base in
            let approval = try await RealtimeHarness.approvalKey(base, MockHarness.key(broker, .kis))
            let (ack, payloads) = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/"), seconds: 30) { inbound, outbound in
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "000660")))
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNI0", "myhtsid")))
                var ack: KISSubscriptionAck?
                var payloads: [String] = []
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KISRealtimeParser.parse(text, receivedAt: Date()) {
                    case .ack(let received) where received.trID == "H0STCNI0": ack = received
                    case .encrypted(let trID, let count, let payload):
                        #expect(trID == "H0STCNI0" && count == 1)
                        payloads.append(payload)
                    default: break
                    }
                    if payloads.count == 3 { break }
                }
                return (ack, payloads)
            }
            let keys = try #require(ack)
            #expect(keys.succeeded)
            let key = try #require(keys.key), iv = try #require(keys.iv)
            let symbol = try #require(broker.market.universe["000660"])
            for payload in payloads {
                let fields = try #require(KISFrameEncoder.decryptNotice(payload, key: key, iv: iv))
                #expect(fields.count == 26)
                let named = Dictionary(uniqueKeysWithValues: zip(KISRealtimeLayout.executionNotice, fields))
                #expect(named["CUST_ID"] == "myhtsid")
                #expect(named["STCK_SHRN_ISCD"] == "000660")
                #expect(named["CNTG_YN"] == "2")
                #expect(named["CNTG_ISNM40"] == symbol.name)
                #expect(Int64(named["CNTG_UNPR"] ?? "") ?? 0 > 0)
            }
            #expect(Set(payloads).count == payloads.count, "each notice is a new order number")
            #expect(broker.stats.recordsSent(.kis, channel: "notice") >= 3)
        }
    }

    @Test func noNoticesUnlessEnabled() async throws {
        try await MockHarness.run(MockHarness.configuration { $0.marketSpeed = 60 }) { broker, base in
            let approval = try await RealtimeHarness.approvalKey(base, MockHarness.key(broker, .kis))
            let encrypted = try await RealtimeHarness.session(RealtimeHarness.wsURL(base, "/"), seconds: 30) { inbound, outbound in
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNI0", "myhtsid")))
                try await outbound.write(.text(RealtimeHarness.kisSubscribe(approval, "H0STCNT0", "005930")))
                var encrypted = 0, ticks = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    switch try KISRealtimeParser.parse(text, receivedAt: Date()) {
                    case .encrypted: encrypted += 1
                    case .ticks(_, let parsed): ticks += parsed.count
                    default: break
                    }
                    if ticks >= 20 { break }
                }
                return encrypted
            }
            #expect(encrypted == 0)
        }
    }
}
