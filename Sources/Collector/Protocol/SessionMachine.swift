import BrokerCore
import Foundation

/// The protocol logic of one broker realtime session, without I/O: the runner feeds it the connection's
/// events and performs the outputs. Implementations: `KISSessionMachine`, `KiwoomSessionMachine`.
public protocol SessionMachine: Sendable {
    var provider: Provider { get }
    /// Desired, confirmed and pending registrations of this session.
    var subscriptions: SubscriptionManager { get set }

    /// A connection is up; `credential` is the KIS approval key or the Kiwoom access token.
    mutating func connected(credential: String, now: Date) -> [SessionOutput]
    /// One text frame from the broker.
    mutating func receive(_ text: String, at now: Date) -> [SessionOutput]
    /// Periodic work: ack timeouts, held fragments, requests for newly wanted keys.
    mutating func tick(now: Date) -> [SessionOutput]
    /// The connection is gone; returns how many confirmed registrations must be restored.
    mutating func disconnected() -> Int
    /// Unsubscribe requests for every confirmed registration (graceful shutdown).
    mutating func unsubscribeAll(now: Date) -> [SessionOutput]
}
