import Foundation

extension SessionMachine {
    /// Sends every registration again on the same connection (watchdog `resubscribe`): the broker answers
    /// "already subscribed", which confirms them again.
    public mutating func resubscribe(now: Date) -> [SessionOutput] {
        subscriptions.forgetConfirmed()
        return tick(now: now)
    }
}
