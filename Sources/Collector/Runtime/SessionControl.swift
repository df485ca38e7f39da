import BrokerCore

/// What the collector needs of a session runner, whatever its machine.
protocol SessionControl: Sendable {
    var name: String { get }
    var provider: Provider { get }
    var stoppedFor: String? { get }
    var subscriptions: SubscriptionManager { get }
    func requestStop()
    /// Asks the session to send its registrations again (at its next tick).
    func requestResubscribe()
    /// Asks the session to close and reconnect (at its next tick), restoring its registrations.
    func requestReconnect()
    /// Adds keys to the session's desired set (sent on its next tick).
    func want(_ keys: [SubscriptionKey])
    /// Removes keys from its desired set (unsubscribed on its next tick once confirmed).
    func drop(_ keys: [SubscriptionKey])
    func run() async
}

extension SessionRunner: SessionControl {}
