@testable import BrokerWire
import Foundation
import Testing

@Suite("Control envelope")
struct ControlEnvelopeTests {
    let key = "0123456789abcdef-key"
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSignedCommandVerifiesWithItsKeyOnly() throws {
        let text = ControlEnvelope(id: "c1", command: .reconnect, target: "*", issuedAt: now).signed(key: key)
        let envelope = try ControlEnvelope.verify(text, key: key, now: now.addingTimeInterval(5)).get()
        #expect(envelope.id == "c1" && envelope.command == .reconnect && envelope.isFor("anyone"))
        #expect(!text.contains(key))
        #expect(ControlEnvelope.verify(text, key: "another-key-entirely", now: now).refusalCode == "bad_signature")
    }

    @Test func tamperedStaleUnsignedAndUnknownMessagesAreRefused() {
        let text = ControlEnvelope(id: "c2", command: .drain, target: "collector-a", issuedAt: now).signed(key: key)
        #expect(ControlEnvelope.verify(text.replacingOccurrences(of: "drain", with: "shutdown"), key: key, now: now).refusalCode == "bad_signature")
        #expect(ControlEnvelope.verify(text.replacingOccurrences(of: "collector-a", with: "*"), key: key, now: now).refusalCode == "bad_signature")
        #expect(ControlEnvelope.verify(text, key: key, now: now.addingTimeInterval(61)).refusalCode == "stale")
        #expect(ControlEnvelope.verify(text, key: key, now: now.addingTimeInterval(-61)).refusalCode == "stale")
        #expect(ControlEnvelope.verify(#"{"command":"restart"}"#, key: key, now: now).refusalCode == "unsigned")
        #expect(ControlEnvelope.verify("restart", key: key, now: now).refusalCode == "malformed")
        let signature = ControlEnvelope.signature(id: "c3", command: "restart", target: "*", issuedAt: 1_800_000_000_000, key: key)
        let unknown = #"{"id":"c3","command":"restart","target":"*","issued_at":1800000000000,"signature":"\#(signature)"}"#
        #expect(ControlEnvelope.verify(unknown, key: key, now: now).refusalCode == "unknown_command")
        let envelope = try? ControlEnvelope.verify(text, key: key, now: now).get()
        #expect(envelope?.isFor("collector-a") == true && envelope?.isFor("collector-b") == false)
    }
}

extension Result where Failure == ControlEnvelope.Refusal {
    var refusalCode: String? {
        if case .failure(let refusal) = self { return refusal.code }
        return nil
    }
}
