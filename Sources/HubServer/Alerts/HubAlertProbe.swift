import Alerts
import BrokerCore
import Foundation
import HubEngine

/// What in the hub's own state a person must hear about, read from one `HubStatus` (pure): a breaker open,
/// a budget the broker's refusals lowered, a priority class's queue near its limit, a token issuance that failed
/// (until one succeeds), a token past its expiry.
/// `HubAlertWatch` raises what this finds and resolves what it no longer finds.
enum HubAlertProbe {
    /// A queue class at or above this share of `BROKERHUB_QUEUE_LIMIT` is near full.
    static let nearFull = 0.8

    static func incidents(in status: HubStatus, queueLimit: Int, now: Date) -> [AlertIncident: String] {
        var found: [AlertIncident: String] = [:]
        for provider in status.providers {
            let name = provider.provider.rawValue
            if provider.breaker == .open {
                found[AlertIncident(kind: "circuit.open", provider: provider.provider)] =
                    "\(name) circuit breaker open (opened \(provider.breakerOpened) times): calls to the broker fail fast until it half-opens"
            }
            if provider.budgetLimit < provider.budgetConfigured {
                found[AlertIncident(kind: "budget.lowered", provider: provider.provider)] =
                    "\(name) budget learned lower: \(provider.budgetLimit)/s of the configured \(provider.budgetConfigured)/s after the broker refused sends"
            }
            if let failure = provider.tokenIssueFailure {
                found[AlertIncident(kind: "token.failed", provider: provider.provider)] =
                    "\(name) \(failure.kind.rawValue) token could not be issued (last try \(KST.iso8601(failure.at))): \(failure.message)"
            }
            if let expiry = provider.tokenExpiresAt, expiry <= now {
                found[AlertIncident(kind: "token.expired", provider: provider.provider)] =
                    "\(name) access token expired at \(KST.iso8601(expiry)) and was not renewed: check the token issue errors in the log"
            }
        }
        for (priority, depth) in status.queueDepth where Double(depth) >= nearFull * Double(max(1, queueLimit)) {
            found[AlertIncident(kind: "queue.near_full", symbol: priority.name)] =
                "queue \(priority.name): \(depth) of \(queueLimit) tasks; new work of the class is refused with 429 when it is full"
        }
        return found
    }
}
