import BrokerCore
import BrokerWire
import Foundation

/// Turns one realtime message into records plus notes about everything that is not a record.
enum FrameInterpreter {
    struct Note {
        var text: String
        var json: String
    }

    static func interpret(_ line: String, provider: Provider, receivedAt: Date) throws -> (records: [MarketRecord], notes: [Note]) {
        switch provider {
        case .kis: try kis(line, receivedAt: receivedAt)
        case .kiwoom: try kiwoom(line, receivedAt: receivedAt)
        }
    }

    static func note(_ provider: Provider, _ kind: String, _ text: String, _ extra: [(String, String)] = []) -> Note {
        var object = JSONWriter.Object()
        object.add("type", "control")
        object.add("provider", provider.rawValue)
        object.add("kind", kind)
        for (name, value) in extra { object.add(name, value) }
        return Note(text: text, json: object.json)
    }

    static func kis(_ line: String, receivedAt: Date) throws -> ([MarketRecord], [Note]) {
        switch try KISRealtimeParser.parse(line, receivedAt: receivedAt) {
        case .ticks(_, let ticks): return (ticks.map(MarketRecord.tick), [])
        case .orderBooks(_, let books): return (books.map(MarketRecord.orderBook), [])
        case .pingPong: return ([], [note(.kis, "pingpong", "PINGPONG heartbeat")])
        case .encrypted(let trID, let count, _):
            return ([], [note(.kis, "encrypted", "\(trID): \(count) encrypted record(s); decrypt with the ack's key/iv", [("tr_id", trID)])])
        case .ack(let ack):
            let text = "\(ack.trID) \(ack.trKey) ack \(ack.code) \(ack.message) (\(ack.outcome.rawValue))"
            return ([], [note(.kis, "ack", text, [("tr_id", ack.trID), ("tr_key", ack.trKey), ("code", ack.code), ("outcome", ack.outcome.rawValue)])])
        }
    }

    static func kiwoom(_ line: String, receivedAt: Date) throws -> ([MarketRecord], [Note]) {
        switch try KiwoomRealtimeParser.parse(line, receivedAt: receivedAt) {
        case .real(let records, let unsupported):
            let notes = unsupported.map {
                note(.kiwoom, "unsupported", "REAL type \($0.type) for \($0.item) is not normalised (kept raw)", [("real_type", $0.type), ("item", $0.item)])
            }
            return (records, notes)
        case .login(let failure):
            return ([], [note(.kiwoom, "login", failure.map { "LOGIN refused: \($0.message)" } ?? "LOGIN ok")])
        case .registration(let trnm, let failure):
            return ([], [note(.kiwoom, trnm.lowercased(), failure.map { "\(trnm) refused: \($0.message)" } ?? "\(trnm) ok")])
        case .ping: return ([], [note(.kiwoom, "ping", "PING heartbeat")])
        case .system(let code, let message):
            return ([], [note(.kiwoom, "system", "SYSTEM \(code): \(message)", [("code", code)])])
        case .other(let trnm, _): return ([], [note(.kiwoom, "other", "message \(trnm)", [("trnm", trnm)])])
        }
    }
}
