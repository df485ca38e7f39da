import BrokerCore

/// What the collector needs of a session runner, whatever its machine.
protocol SessionControl: Sendable {
    var name: String { get }
    var provider: Provider { get }
    var stoppedFor: String? { get }
    var subscriptions: SubscriptionManager { get }
    func requestStop()
    func run() async
}

extension SessionRunner: SessionControl {}
