@testable import Collector
import BrokerWire
import Foundation
import Testing

/// Execution notices (`H0STCNI0`): subscribed after every connect, decrypted with their ack's key and iv.
@Suite("Collector: KIS execution notices", .timeLimit(.minutes(5)))
struct KISNoticeTests {
    static let key = "abcdefghijklmnopqrstuvwxyzabcdef"
    static let iv = "0123456789abcdef"
    /// 26 fields, as the mock (and KIS) send a fill.
    static let fields = "myhtsid^5012345601^0000001001^^02^0^00^0^005930^3^71200^093015^0^2^2^00950^3^모의투자^0^1^N^^10^^삼성전자^71200"
    let now = Date(timeIntervalSince1970: 1_763_700_000)

    static func ack(key: String = key, iv: String = iv) -> String {
        #"{"header":{"tr_id":"H0STCNI0","tr_key":"myhtsid","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"SUBSCRIBE SUCCESS","output":{"iv":"\#(iv)","key":"\#(key)"}}}"#
    }

    static func frame(_ plaintext: String = fields) throws -> String {
        "1|H0STCNI0|001|" + (try KISNoticeCipher.encrypt(plaintext, key: key, iv: iv))
    }

    func connectedMachine() -> (KISSessionMachine, [SessionOutput]) {
        var machine = KISSessionMachine(notices: (trID: "H0STCNI0", htsID: "myhtsid"))
        let outputs = machine.connected(credential: "APPROVAL", now: now)
        return (machine, outputs)
    }

    @Test func subscribesToNoticesForTheHTSIDOnEveryConnect() {
        var (machine, outputs) = connectedMachine()
        #expect(KISSessionMachineTests.sent(outputs).contains { $0.contains(#""tr_id":"H0STCNI0","tr_key":"myhtsid""#) && $0.contains(#""tr_type":"1""#) })
        _ = machine.disconnected()
        let again = machine.connected(credential: "APPROVAL2", now: now)
        #expect(KISSessionMachineTests.sent(again).contains { $0.contains("H0STCNI0") && $0.contains("APPROVAL2") })
        let stop = machine.unsubscribeAll(now: now)
        #expect(KISSessionMachineTests.sent(stop).contains { $0.contains("H0STCNI0") && $0.contains(#""tr_type":"2""#) })
    }

    @Test func aNoticeIsDecryptedWithItsAcksKeyAndIV() throws {
        var (machine, _) = connectedMachine()
        _ = machine.receive(Self.ack(), at: now)
        let outputs = machine.receive(try Self.frame(), at: now)
        #expect(outputs == [.raw(Self.fields, note: "notice H0STCNI0")])
    }

    @Test func beforeItsAckANoticeIsKeptEncrypted() throws {
        var (machine, _) = connectedMachine()
        let frame = try Self.frame()
        #expect(machine.receive(frame, at: now) == [.raw(frame, note: "encrypted notice H0STCNI0 (not decrypted)")])
    }

    @Test func aNoticeThatDoesNotDecryptIsKeptRawAndAlerted() throws {
        var (machine, _) = connectedMachine()
        _ = machine.receive(Self.ack(key: String(Self.key.reversed())), at: now)
        let outputs = machine.receive(try Self.frame(), at: now)
        #expect(outputs.contains { if case .alert(kind: "notice.undecryptable", _, _) = $0 { true } else { false } })
        #expect(outputs.contains { if case .raw(_, let note) = $0 { note.contains("does not decrypt") } else { false } })
    }

    @Test func theOlder23FieldLayoutIsAlerted() throws {
        var (machine, _) = connectedMachine()
        _ = machine.receive(Self.ack(), at: now)
        let short = Self.fields.split(separator: "^", omittingEmptySubsequences: false).prefix(23).joined(separator: "^")
        let outputs = machine.receive(try Self.frame(short), at: now)
        #expect(outputs.contains { if case .alert(kind: "notice.malformed", _, _) = $0 { true } else { false } })
    }

    @Test func theCipherRefusesWrongKeyLengthsAndGarbage() {
        #expect(KISNoticeCipher.decrypt("not base64!", key: Self.key, iv: Self.iv) == nil)
        #expect(KISNoticeCipher.decrypt("AAAA", key: "short", iv: Self.iv) == nil)
        #expect(KISNoticeCipher.decrypt("AAAAAAAAAAAAAAAAAAAAAA==", key: Self.key, iv: Self.iv) == nil)
    }
}
