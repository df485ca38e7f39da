@testable import Collector
import BrokerCore
import Foundation
import Realtime
import Testing

@Suite("Collector: KIS session machine", .timeLimit(.minutes(5)))
struct KISSessionMachineTests {
    static let record = "005930^103101^97500^5^-200^-0.20^98084.88^98000^98600^97300^97600^97500^1203^9656085^947115955700^47913^41287^-6626^85.89^4972772^4270982^5^46.20^52.68^090000^5^-500^090330^5^-1100^102010^2^200^20251024^20^N^31609^71825^625871^645567^0.16^7204507^134.03^0^^97700"
    static let book = "0|H0STASP0|001|005930^103100^0^97600^97700^97800^97900^98000^98100^98200^98300^98400^98500^97500^97400^97300^97200^97100^97000^96900^96800^96700^96600^31609^91548^44732^74668^34941^119635^35671^48178^44738^100151^73028^48296^39273^34340^116791^37945^47901^60299^100210^88687^625871^646770^0^0^0^0^412331^-97700^5^-100.00^9654882^-20342^2599^0^0^0"
    static let ping = #"{"header":{"tr_id":"PINGPONG","datetime":"20251024103112"}}"#
    let now = Date(timeIntervalSince1970: 1_763_700_000)

    static func ack(_ trID: String, _ key: String, _ code: String, rt: String = "1") -> String {
        #"{"header":{"tr_id":"\#(trID)","tr_key":"\#(key)","encrypt":"N"},"body":{"rt_cd":"\#(rt)","msg_cd":"\#(code)","msg1":"x"}}"#
    }

    func machine(_ keys: [SubscriptionKey], capacity: Int = 41) -> KISSessionMachine {
        var manager = SubscriptionManager(capacity: capacity)
        manager.want(keys)
        return KISSessionMachine(subscriptions: manager)
    }

    static func sent(_ outputs: [SessionOutput]) -> [String] {
        outputs.compactMap { if case .send(let text) = $0 { text } else { nil } }
    }

    @Test func subscribesWithApprovalKeyAndTreatsAlreadySubscribedAsSuccess() {
        var machine = machine([SubscriptionKey(.ticker, "005930"), SubscriptionKey(.orderbook, "005930")])
        let sent = Self.sent(machine.connected(credential: "APPROVAL", now: now))
        #expect(sent.count == 2)
        #expect(sent.contains(#"{"header":{"approval_key":"APPROVAL","custtype":"P","tr_type":"1","content-type":"utf-8"},"body":{"input":{"tr_id":"H0STCNT0","tr_key":"005930"}}}"#))
        #expect(sent.contains { $0.contains(#""tr_id":"H0STASP0""#) })
        _ = machine.receive(Self.ack("H0STCNT0", "005930", "OPSP0000", rt: "0"), at: now)
        _ = machine.receive(Self.ack("H0STASP0", "005930", "OPSP0002"), at: now)
        #expect(machine.subscriptions.confirmed.count == 2)
        #expect(machine.subscriptions.pending.isEmpty)
        let unsubscribe = Self.sent(machine.unsubscribeAll(now: now))
        #expect(unsubscribe.count == 2 && unsubscribe.allSatisfy { $0.contains(#""tr_type":"2""#) })
        _ = machine.receive(Self.ack("H0STCNT0", "005930", "OPSP0001", rt: "0"), at: now)
        _ = machine.receive(Self.ack("H0STASP0", "005930", "OPSP0003"), at: now)
        #expect(machine.subscriptions.confirmed.isEmpty && machine.subscriptions.pending.isEmpty)
    }

    @Test func maxSubscriptionsRaisesCapAlertAndStopsAdding() {
        var machine = machine(["005930", "000660", "035420"].map { SubscriptionKey(.ticker, $0) })
        _ = machine.connected(credential: "A", now: now)
        _ = machine.receive(Self.ack("H0STCNT0", "000660", "OPSP0000", rt: "0"), at: now)
        let outputs = machine.receive(Self.ack("H0STCNT0", "005930", "OPSP0008"), at: now)
        #expect(outputs.contains { if case .alert("subscription.cap", _, "005930") = $0 { true } else { false } })
        #expect(machine.subscriptions.capReached)
        _ = machine.receive(Self.ack("H0STCNT0", "035420", "OPSP0008"), at: now)
        #expect(Self.sent(machine.tick(now: now)).isEmpty)
        let refused = machine.receive(Self.ack("H0STCNT0", "000660", "OPSP8992"), at: now)
        #expect(refused.contains { if case .alert("subscription.refused", _, _) = $0 { true } else { false } })
    }

    /// Issue #12 item 6: an ack refusing the approval key asks for a new key and keeps the registration wanted.
    @Test func aRefusedApprovalKeyAsksForANewOne() {
        var manager = SubscriptionManager()
        manager.want([SubscriptionKey(.ticker, "005930")])
        var machine = KISSessionMachine(subscriptions: manager)
        _ = machine.connected(credential: "OLD", now: now)
        let outputs = machine.receive(#"{"header":{"tr_id":"H0STCNT0","tr_key":"005930","encrypt":"N"},"body":{"rt_cd":"1","msg_cd":"OPSP0011","msg1":"invalid approval : NOT FOUND"}}"#, at: now)
        #expect(outputs.count == 1)
        #expect(outputs.first.map { if case .credentialRefused = $0 { true } else { false } } == true, "\(outputs)")
        #expect(!machine.subscriptions.refused.contains(SubscriptionKey(.ticker, "005930")))
        #expect(machine.subscriptions.desired.contains(SubscriptionKey(.ticker, "005930")), "still wanted: restored on the next connection")
    }

    @Test func pingPongIsEchoedVerbatim() {
        var machine = machine([])
        #expect(machine.receive(Self.ping, at: now) == [.send(Self.ping)])
    }

    @Test func dataFramesWithSeveralRecordsAndOrderBooks() throws {
        var machine = machine([])
        let outputs = machine.receive("0|H0STCNT0|003|" + [Self.record, Self.record, Self.record].joined(separator: "^"), at: now)
        guard case .records(let ticks) = try #require(outputs.first) else { Issue.record("no records"); return }
        #expect(ticks.count == 3)
        let books = machine.receive(Self.book, at: now)
        guard case .records(let parsed) = try #require(books.first), case .orderBook(let book) = parsed.first else { Issue.record("no book"); return }
        #expect(book.symbol == "005930" && book.asks.first?.price == 97600)
    }

    @Test func fragmentedFrameIsJoinedAndMalformedFrameIsReported() {
        var machine = machine([])
        let frame = "0|H0STCNT0|001|" + Self.record
        let middle = frame.index(frame.startIndex, offsetBy: frame.count / 2)
        #expect(machine.receive(String(frame[..<middle]), at: now).isEmpty)
        let joined = machine.receive(String(frame[middle...]), at: now)
        #expect(joined.contains { if case .fragmented(let parts) = $0 { parts.count == 2 } else { false } })
        #expect(joined.contains { if case .records(let records) = $0 { records.count == 1 } else { false } })
        // A frame cut short stays malformed: reported once the next good frame arrives.
        let cut = String(frame[..<frame.lastIndex(of: "^")!])
        #expect(machine.receive(cut, at: now).isEmpty)
        let next = machine.receive(frame, at: now)
        #expect(next.contains { if case .malformed(let raw, _) = $0 { raw == cut } else { false } })
        #expect(next.contains { if case .records = $0 { true } else { false } })
    }
}
