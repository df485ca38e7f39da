import BrokerCore
import BrokerWire
import Collector
import Realtime
import Foundation

/// KIS's realtime protocol as the gateway's clients speak it (pure): subscribe/unsubscribe messages with
/// `approval_key` and `tr_type` 1/2 are read into requests, and every answer is the one KIS itself gives —
/// `OPSP0000`/`0001`/`0002`/`0003`/`0008` acks, `OPSP0011` for an approval key the hub did not issue,
/// `OPSP8991`/`8992` for an unknown TR or key, `OPSP0007` for a bad `tr_type`, `OPSP9999` for broken JSON.
/// Echoed `PINGPONG`s are heartbeats. Only the trade and order-book TRs the hub's sessions use are shared;
/// execution notices belong to one account's HTS ID and are refused here.
public struct KISClientProtocol: Sendable {
    /// A client message, read.
    public enum Request: Sendable, Equatable {
        case subscribe(SubscriptionKey, trID: String)
        case unsubscribe(SubscriptionKey, trID: String)
        /// An echoed `PINGPONG`.
        case heartbeat
        /// Refused before it reached the fan-out: the broker's own answer and its code (counted by the caller).
        case refused(reply: String, code: String)
    }

    /// The trade and order-book TRs the hub's KIS sessions register (`H0STCNT0`, `H0STASP0` by default).
    public var tickTransaction: String
    public var bookTransaction: String

    public init(tickTransaction: String = "H0STCNT0", bookTransaction: String = "H0STASP0") {
        self.tickTransaction = tickTransaction
        self.bookTransaction = bookTransaction
    }

    /// Reads one client message; `approvalIsValid` says whether the hub issued the `approval_key` it carries.
    public func read(_ text: String, approvalIsValid: (String) -> Bool) -> Request {
        guard let json = try? JSONParser.parse(text), case .object = json else {
            return .refused(reply: RealtimeControlText.kisAck(trID: "", trKey: "", returnCode: "9", code: "OPSP9999", message: "JSON PARSING ERROR : invalid json format"), code: "OPSP9999")
        }
        if json["header"]?["tr_id"]?.stringValue == "PINGPONG" { return .heartbeat }
        let trID = json["body"]?["input"]?["tr_id"]?.stringValue ?? json["header"]?["tr_id"]?.stringValue ?? ""
        let trKey = json["body"]?["input"]?["tr_key"]?.stringValue ?? ""
        func refuse(_ returnCode: String, _ code: String, _ message: String) -> Request {
            .refused(reply: RealtimeControlText.kisAck(trID: trID, trKey: trKey, returnCode: returnCode, code: code, message: message), code: code)
        }
        guard let approval = json["header"]?["approval_key"]?.stringValue, approvalIsValid(approval) else {
            return refuse("1", "OPSP0011", "invalid approval : NOT FOUND")
        }
        let channel: RealtimeChannel
        switch trID {
        case tickTransaction: channel = .ticker
        case bookTransaction: channel = .orderbook
        case "H0STCNI0", "H0STCNI9":
            return refuse("1", "OPSP8991", "invalid tr_id : execution notices need the account's own session (not shared by BrokerHub)")
        default:
            let served = "\(tickTransaction), \(bookTransaction)"
            return refuse("1", "OPSP8991", "invalid tr_id : BrokerHub shares \(served)")
        }
        guard Self.isSymbol(trKey) else { return refuse("1", "OPSP8992", "invalid tr_key") }
        switch json["header"]?["tr_type"]?.stringValue {
        case "1": return .subscribe(SubscriptionKey(channel, trKey), trID: trID)
        case "2": return .unsubscribe(SubscriptionKey(channel, trKey), trID: trID)
        default: return refuse("1", "OPSP0007", "SUBSCRIBE INTERNAL ERROR : invalid tr_type")
        }
    }

    /// A KRX short code: 6 to 12 letters and digits (`005930`, `Q500001`).
    static func isSymbol(_ text: String) -> Bool {
        (6...12).contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) }
    }

    /// The ack of a subscribe: `OPSP0000` with a key and iv, `OPSP0002` when the client holds it already,
    /// `OPSP0008` when no session has room.
    public func subscribeAnswer(_ key: SubscriptionKey, trID: String, _ outcome: GatewaySubscribe, client: GatewayClientID) -> String {
        switch outcome {
        case .subscribed:
            let seed = Self.seed("\(client)|\(trID)|\(key.symbol)")
            return RealtimeControlText.kisAck(
                trID: trID, trKey: key.symbol, returnCode: "0", code: "OPSP0000", message: "SUBSCRIBE SUCCESS",
                keyAndIV: (Self.letters(seed, 32), Self.hex(seed ^ 0x9E37_79B9_7F4A_7C15, 16))
            )
        case .already:
            return RealtimeControlText.kisAck(trID: trID, trKey: key.symbol, returnCode: "1", code: "OPSP0002", message: "ALREADY IN SUBSCRIBE")
        case .full:
            return RealtimeControlText.kisAck(trID: trID, trKey: key.symbol, returnCode: "1", code: "OPSP0008", message: "MAX SUBSCRIBE OVER")
        }
    }

    /// The ack of an unsubscribe: `OPSP0001`, or `OPSP0003` when the client did not hold it.
    public func unsubscribeAnswer(_ key: SubscriptionKey, trID: String, held: Bool) -> String {
        held
            ? RealtimeControlText.kisAck(trID: trID, trKey: key.symbol, returnCode: "0", code: "OPSP0001", message: "UNSUBSCRIBE SUCCESS")
            : RealtimeControlText.kisAck(trID: trID, trKey: key.symbol, returnCode: "1", code: "OPSP0003", message: "UNSUBSCRIBE ERROR(not found!)")
    }

    /// What a slow client is told after frames were dropped for it (a `rt_cd` "1" notice in the ack shape).
    public static func droppedNotice(_ count: Int) -> String {
        RealtimeControlText.kisAck(trID: "BHNOTICE", trKey: "", returnCode: "1", code: "BH000001", message: "SLOW CLIENT : \(count) frame(s) dropped by BrokerHub")
    }

    private static func seed(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    private static func letters(_ seed: UInt64, _ count: Int) -> String {
        var state = seed
        return String((0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Character(Unicode.Scalar(UInt8(97 + (state >> 33) % 26)))
        })
    }

    private static func hex(_ seed: UInt64, _ count: Int) -> String {
        var state = seed
        return String((0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Array("0123456789abcdef")[Int((state >> 33) % 16)]
        })
    }
}

/// How a client's subscribe went.
public enum GatewaySubscribe: Sendable, Equatable {
    case subscribed
    /// The client holds it already.
    case already
    /// Every broker session of the provider is full (the broker's cap).
    case full
}
