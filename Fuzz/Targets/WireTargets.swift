import BrokerCore
import BrokerWire
import Foundation

/// The broker-facing parsers: realtime frames, JSON, failure envelopes and token answers.
enum WireTargets {
    /// A fixed receive time: parsers must not depend on the wall clock.
    static let receivedAt = Date(timeIntervalSince1970: 1_780_000_000)

    static let kisFrame = FuzzTarget(name: "kis-frame", summary: "KIS WebSocket frames (`0|TR|NNN|…`, JSON control frames): parse from bytes and from text agree") { bytes in
        let fromBytes = Result { try KISRealtimeParser.parse(bytes: bytes, receivedAt: receivedAt) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        let fromText = Result { try KISRealtimeParser.parse(text, receivedAt: receivedAt) }
        invariant(succeeded(fromBytes) == succeeded(fromText), "bytes and text parses disagree on \(text.debugDescription)")
    }

    static let kiwoomFrame = FuzzTarget(name: "kiwoom-frame", summary: "Kiwoom WebSocket messages (REAL, REG, LOGIN, PING, errors): the direct scanner reads each exactly as the JSON-tree reference does") { bytes in
        let scanned = Result { try KiwoomRealtimeParser.parse(bytes: bytes, receivedAt: receivedAt) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            invariant(!succeeded(scanned), "the scanner accepted invalid UTF-8")
            return
        }
        let reference = Result { try KiwoomTreeReference.parse(text, receivedAt: receivedAt) }
        invariant(sameReading(scanned, reference), "scanner and tree reference disagree on \(text.prefix(300).debugDescription): \(scanned) vs \(reference)")
    }

    /// Two readings of a Kiwoom message agree: the same records and entries, or the same error message.
    public static func sameReading(_ one: Result<KiwoomRealtimeMessage, any Error>, _ other: Result<KiwoomRealtimeMessage, any Error>) -> Bool {
        switch (one, other) {
        case (.success(let one), .success(let other)):
            if case .real(let records, let unsupported) = one, case .real(let otherRecords, let otherUnsupported) = other {
                return records == otherRecords && unsupported == otherUnsupported
            }
            return String(describing: one) == String(describing: other)
        case (.failure(let one), .failure(let other)):
            return String(describing: one) == String(describing: other)
        default:
            return false
        }
    }

    static let json = FuzzTarget(name: "json", summary: "JSONParser, both key modes: a parsed document written and parsed again is the same document") { bytes in
        let strict = Result { try JSONParser.parse(bytes, uniqueKeys: true) }
        guard let value = try? JSONParser.parse(bytes) else {
            invariant(!succeeded(strict), "the strict mode accepted what the lenient one refused")
            return
        }
        if case .success(let strictValue) = strict { invariant(strictValue == value, "the key modes read one document differently") }
        let written = JSONWriter.serialize(value)
        invariant((try? JSONParser.parse(written)) == value, "round trip changed the document: \(written.prefix(200))")
    }

    static let envelope = FuzzTarget(name: "envelope", summary: "KIS and Kiwoom failure envelopes; first byte picks the HTTP status: a non-2xx answer is never read as a success") { bytes in
        let (status, body) = split(bytes)
        let json = try? JSONParser.parse(UnsafeBufferPointer(rebasing: body))
        let failures = [KISEnvelope.failure(httpStatus: status, body: json), KiwoomEnvelope.failure(httpStatus: status, body: json)]
        if !(200..<300).contains(status) {
            invariant(failures.allSatisfy { $0 != nil }, "HTTP \(status) read as a success")
        }
        for failure in failures.compactMap({ $0 }) { invariant(failure.httpStatus == status, "the failure names another status") }
        if let text = json?["return_msg"]?.stringValue { _ = KiwoomEnvelope.innerCode(in: text) }
    }

    static let token = FuzzTarget(name: "token", summary: "token answers (KIS tokenP/Approval, Kiwoom au10001) and the KST time formats: a token's lifetime stays within 0 … maximumLifetime") { bytes in
        let (status, body) = split(bytes)
        let answer = Array(UnsafeBufferPointer(rebasing: body))
        for parse in [TokenAnswer.kisAccessToken, TokenAnswer.kisApprovalKey, TokenAnswer.kiwoomAccessToken] {
            guard let token = try? parse(status, answer, receivedAt) else { continue }
            let lifetime = token.expiresAt.timeIntervalSince(token.issuedAt)
            invariant(lifetime >= 0 && lifetime <= IssuedToken.maximumLifetime, "lifetime \(lifetime) s")
            _ = KST.dashedDateTime(token.expiresAt)
            _ = KST.compactDateTime(token.expiresAt)
            _ = KST.iso8601(token.expiresAt)
        }
        let text = String(decoding: answer, as: UTF8.self)
        for instant in [KST.parseDashedDateTime(text), KST.parseCompactDateTime(text)].compactMap({ $0 }) {
            _ = KST.iso8601(instant)
            _ = KSTDate(instant)
        }
        if let date = KSTDate(text) { _ = date.adding(days: 1) }
    }

    /// The first byte chooses an HTTP status (success, client and server errors, rate limits); the rest is the body.
    private static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Slice<UnsafeBufferPointer<UInt8>>) {
        let statuses = [200, 200, 201, 400, 401, 403, 404, 429, 500, 502, 503, 504]
        guard let first = bytes.first else { return (200, bytes[...]) }
        return (statuses[Int(first) % statuses.count], bytes[1...])
    }

    private static func succeeded<T>(_ result: Result<T, any Error>) -> Bool {
        if case .success = result { return true }
        return false
    }
}
