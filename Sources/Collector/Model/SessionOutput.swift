import BrokerCore
import Foundation

/// What a session state machine asks its runner to do after an input. Pure values: the runner performs them.
public enum SessionOutput: Sendable, Equatable {
    /// Send this text frame to the broker.
    case send(String)
    /// Parsed market data to publish (ticks and order books).
    case records([MarketRecord])
    /// Raise an alert (published on `system` and counted).
    case alert(kind: String, message: String, symbol: String?)
    /// A frame that could not be parsed: count it and keep it raw.
    case malformed(raw: String, reason: String)
    /// Two frames that only parse joined (a message split across WebSocket frames): count it and keep it raw.
    case fragmented(parts: [String])
    /// A frame kept raw without being published (execution notices, unsupported entries).
    case raw(String, note: String)
    /// Stop this session for good (no reconnect), e.g. Kiwoom `R10001`.
    case stop(reason: String)
    /// The broker refused the session's credential (a Kiwoom token at `LOGIN`, a KIS approval key at
    /// subscribe): drop it, get a new one, reconnect — once; refused again soon after, the session stops.
    case credentialRefused(reason: String)
}
