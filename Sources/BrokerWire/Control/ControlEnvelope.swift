import Crypto
import Foundation

/// An operator command for the realtime collectors (`drain`, `resubscribe`, `reconnect`, `shutdown`) as it travels on
/// the control channel (pure): JSON with an id, the command, a target (`*` or one collector's name), the time it was
/// issued and an HMAC-SHA256 over those four with the deployment's control key. A collector performs a command
/// only when the signature holds, it is fresh and its id was not seen before; the original design's raw
/// `{"command":"restart"}` is refused like any other unsigned message.
public struct ControlEnvelope: Sendable, Equatable {
    public enum Command: String, Sendable, CaseIterable {
        /// Take no new registrations (the gateway's clients get the broker's cap answer); current ones keep flowing.
        case drain
        /// Every session sends its registrations again.
        case resubscribe
        /// Every session closes and reconnects, restoring its registrations.
        case reconnect
        /// Unsubscribe, close, and end the process gracefully.
        case shutdown
    }

    /// Why a message was not performed (the reason of its refusal, counted by code).
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var description: String { "\(code): \(message)" }
    }

    public var id: String
    public var command: Command
    public var target: String
    /// Milliseconds since 1970.
    public var issuedAt: Int64

    public init(id: String = UUID().uuidString.lowercased(), command: Command, target: String = "*", issuedAt: Date) {
        self.id = id
        self.command = command
        self.target = target
        self.issuedAt = Int64((issuedAt.timeIntervalSince1970 * 1000).rounded())
    }

    /// The signed JSON message.
    public func signed(key: String) -> String {
        var object = JSONWriter.Object()
        object.add("id", id)
        object.add("command", command.rawValue)
        object.add("target", target)
        object.add("issued_at", issuedAt)
        object.add("signature", Self.signature(id: id, command: command.rawValue, target: target, issuedAt: issuedAt, key: key))
        return object.json
    }

    /// Reads and checks a message: JSON of the right shape, a known command, a signature made with `key`, issued
    /// within `maxAge` of `now` (either way: clocks differ).
    public static func verify(_ text: String, key: String, now: Date, maxAge: TimeInterval = 60) -> Result<ControlEnvelope, Refusal> {
        guard let json = try? JSONParser.parse(text), case .object = json else {
            return .failure(Refusal(code: "malformed", message: "not a JSON object"))
        }
        guard let id = json["id"]?.stringValue, !id.isEmpty, id.utf8.count <= 100, let name = json["command"]?.stringValue,
              let target = json["target"]?.stringValue, let issuedAt = json["issued_at"].flatMap({ Int64($0.text) }),
              let signature = json["signature"]?.stringValue
        else {
            return .failure(Refusal(code: "unsigned", message: "id, command, target, issued_at and signature are required"))
        }
        let expected = Self.signature(id: id, command: name, target: target, issuedAt: issuedAt, key: key)
        guard Self.constantTimeEqual(expected, signature) else {
            return .failure(Refusal(code: "bad_signature", message: "the signature does not match the control key"))
        }
        guard let command = Command(rawValue: name) else {
            return .failure(Refusal(code: "unknown_command", message: "unknown command \(name.prefix(40))"))
        }
        let age = now.timeIntervalSince1970 - Double(issuedAt) / 1000
        guard abs(age) <= maxAge else {
            return .failure(Refusal(code: "stale", message: String(format: "issued %.0f s away from now (at most %.0f s)", age, maxAge)))
        }
        var envelope = ControlEnvelope(id: id, command: command, target: target, issuedAt: now)
        envelope.issuedAt = issuedAt
        return .success(envelope)
    }

    /// Whether it is meant for the collector named `name`.
    public func isFor(_ name: String) -> Bool { target == "*" || target == name }

    static func signature(id: String, command: String, target: String, issuedAt: Int64, key: String) -> String {
        let message = "\(id)|\(command)|\(target)|\(issuedAt)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The acknowledgement a collector publishes: the command's id, who answered, `done` or `refused` and why.
    public static func acknowledgement(id: String, collector: String, command: String, outcome: String, detail: String) -> String {
        var object = JSONWriter.Object()
        object.add("id", id)
        object.add("collector", collector)
        object.add("command", command)
        object.add("outcome", outcome)
        object.add("detail", detail)
        return object.json
    }
}
