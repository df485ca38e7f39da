import BrokerCore

/// One message from the Kiwoom realtime WebSocket.
public enum KiwoomRealtimeMessage: Sendable {
    /// `REAL` data: trades (`0B`) and order books (`0D`), plus entries of types BrokerHub does not normalise
    /// (reported, never dropped silently).
    case real(records: [MarketRecord], unsupported: [KiwoomUnsupportedEntry])
    /// The answer to `LOGIN`; `failure` is set when it was refused.
    case login(failure: BrokerFailure?)
    /// The answer to `REG` or `REMOVE`.
    case registration(trnm: String, failure: BrokerFailure?)
    /// The server's heartbeat: echo `raw` back unchanged.
    case ping(raw: String)
    /// A `SYSTEM` notice, e.g. `R10001` (session replaced by another login with the same app key) or
    /// `R10002` (heartbeat missed). Never echo these.
    case system(code: String, message: String)
    /// Any other `trnm`, kept raw.
    case other(trnm: String, raw: String)
}

/// A `REAL` entry whose type is not normalised (e.g. `0A`, `00`).
public struct KiwoomUnsupportedEntry: Sendable, Hashable {
    public var type: String
    public var item: String

    public init(type: String, item: String) {
        self.type = type
        self.item = item
    }
}
