import BrokerCore
import Foundation

/// Parses KIS realtime WebSocket messages: data frames `<enc>|<tr_id>|<count>|<fields joined by ^>` and
/// JSON control messages (acks, `PINGPONG`). Pure and allocation-light: fields are read in place from the
/// frame's UTF-8 bytes. Every malformed frame fails with an error naming the TR, the record and the field.
public enum KISRealtimeParser {
    public static func parse(_ frame: String, receivedAt: Date) throws -> KISRealtimeMessage {
        if let message = try frame.utf8.withContiguousStorageIfAvailable({ try parse(bytes: $0, receivedAt: receivedAt) }) {
            return message
        }
        return try Array(frame.utf8).withUnsafeBufferPointer { try parse(bytes: $0, receivedAt: receivedAt) }
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>, receivedAt: Date) throws -> KISRealtimeMessage {
        guard let first = bytes.first else { throw BrokerHubError.malformed("KIS frame", "empty message") }
        if first == UInt8(ascii: "{") { return try control(bytes) }
        guard first == UInt8(ascii: "0") || first == UInt8(ascii: "1"), bytes.count > 1, bytes[1] == UInt8(ascii: "|") else {
            throw BrokerHubError.malformed("KIS frame", "expected '0|', '1|' or a JSON control message, got \"\(preview(bytes))\"")
        }
        // tr_id
        var cursor = 2
        while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "|") { cursor += 1 }
        guard cursor < bytes.count, cursor > 2 else {
            throw BrokerHubError.malformed("KIS frame", "truncated header \"\(preview(bytes))\"")
        }
        let trID = String(decoding: UnsafeBufferPointer(rebasing: bytes[2..<cursor]), as: UTF8.self)
        let countStart = cursor + 1
        cursor = countStart
        while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "|") { cursor += 1 }
        guard cursor < bytes.count, let count = NumberText.int64(bytes, from: countStart, to: cursor), count > 0, cursor - countStart == 3 else {
            throw BrokerHubError.malformed(trID, "truncated header or invalid record count \"\(preview(bytes))\"")
        }
        let dataStart = cursor + 1
        if first == UInt8(ascii: "1") {
            let payload = String(decoding: UnsafeBufferPointer(rebasing: bytes[dataStart...]), as: UTF8.self)
            return .encrypted(trID: trID, count: Int(count), payload: payload)
        }
        if KISRealtimeLayout.tradeTransactions.contains(trID) {
            return .ticks(trID: trID, try trades(bytes, from: dataStart, count: Int(count), trID: trID, receivedAt: receivedAt))
        }
        if KISRealtimeLayout.orderBookTransactions.contains(trID) {
            return .orderBooks(trID: trID, try orderBooks(bytes, from: dataStart, count: Int(count), trID: trID, receivedAt: receivedAt))
        }
        throw BrokerHubError(.unsupportedTransaction, "KIS realtime tr_id \(trID) is not supported")
    }

    static func preview(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[..<min(bytes.count, 60)]), as: UTF8.self)
    }

    /// A JSON control message: `PINGPONG` or a subscription ack.
    static func control(_ bytes: UnsafeBufferPointer<UInt8>) throws -> KISRealtimeMessage {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw BrokerHubError(.malformedPayload, "KIS control message: not valid JSON: \(error)", underlying: error)
        }
        guard let trID = json["header"]?["tr_id"]?.stringValue else {
            throw BrokerHubError.malformed("KIS control message", field: "header.tr_id", "missing")
        }
        if trID == "PINGPONG" {
            return .pingPong(raw: String(decoding: bytes, as: UTF8.self))
        }
        guard let body = json["body"] else {
            throw BrokerHubError.malformed(trID, field: "body", "missing in control message")
        }
        let ack = KISSubscriptionAck(
            trID: trID,
            trKey: json["header"]?["tr_key"]?.text ?? "",
            succeeded: body["rt_cd"]?.text == "0",
            code: body["msg_cd"]?.text ?? "",
            message: body["msg1"]?.text ?? "",
            key: body["output"]?["key"]?.stringValue,
            iv: body["output"]?["iv"]?.stringValue
        )
        return .ack(ack)
    }
}
