import BrokerCore

/// One message from the KIS realtime WebSocket.
public enum KISRealtimeMessage: Sendable {
    /// Trades (`H0STCNT0`, `H0NXCNT0`, `H0UNCNT0`).
    case ticks(trID: String, [Tick])
    /// Order books (`H0STASP0`, `H0NXASP0`, `H0UNASP0`).
    case orderBooks(trID: String, [OrderBook])
    /// An encrypted data frame (`1|H0STCNI0|001|<base64>`): decrypt with the subscription ack's key and iv.
    case encrypted(trID: String, count: Int, payload: String)
    /// The server's heartbeat; echo `raw` back unchanged.
    case pingPong(raw: String)
    /// A subscribe/unsubscribe acknowledgement.
    case ack(KISSubscriptionAck)
}

/// The answer to a subscribe (`tr_type` 1) or unsubscribe (2) request.
public struct KISSubscriptionAck: Sendable, Hashable {
    public enum Outcome: String, Sendable {
        case subscribed, unsubscribed, alreadySubscribed, notSubscribed, maxSubscriptions
        case appKeyInUse, invalidTransaction, invalidKey, internalError, failed
    }

    public var trID: String
    public var trKey: String
    public var succeeded: Bool
    public var code: String
    public var message: String
    /// AES key and iv for encrypted notices (32 and 16 characters).
    public var key: String?
    public var iv: String?

    public init(trID: String, trKey: String, succeeded: Bool, code: String, message: String, key: String? = nil, iv: String? = nil) {
        self.trID = trID
        self.trKey = trKey
        self.succeeded = succeeded
        self.code = code
        self.message = message
        self.key = key
        self.iv = iv
    }

    /// What the code means. `OPSP0002` (already subscribed) counts as success for a subscriber.
    public var outcome: Outcome {
        switch code {
        case "OPSP0000": .subscribed
        case "OPSP0001": .unsubscribed
        case "OPSP0002": .alreadySubscribed
        case "OPSP0003": .notSubscribed
        case "OPSP0008": .maxSubscriptions
        case "OPSP8996": .appKeyInUse
        case "OPSP8991": .invalidTransaction
        case "OPSP8992": .invalidKey
        case "OPSP0007": .internalError
        default: succeeded ? .subscribed : .failed
        }
    }
}
