import Alerts
import BrokerCore
import Foundation
@testable import HubEngine
@testable import HubServer
import Testing

/// What of the hub's state is an alert (`HubAlertProbe`, pure).
@Suite("Hub alert probe")
struct HubAlertProbeTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000)

    func status(breaker: CircuitBreaker.State = .closed, limit: Int = 18, expiry: Date? = nil, queued: [Priority: Int] = [:]) -> HubStatus {
        let kis = HubStatus.ProviderStatus(
            provider: .kis, appKey: "PSabcd", kind: .real, sends: 10, sendRate: 1, budgetUtilisation: 0.1, budgetConfigured: 18,
            budgetLimit: limit, breaker: breaker, breakerOpened: breaker == .open ? 1 : 0, tokensIssued: 1, tokenExpiresAt: expiry
        )
        return HubStatus(queueDepth: queued, workersBusy: 0, coalesced: 0, cacheHits: 0, providers: [kis], learnedBudgets: [:], rateWindow: 10)
    }

    @Test func aHealthyHubHasNoIncidents() {
        #expect(HubAlertProbe.incidents(in: status(expiry: now + 3600, queued: [.backfill: 7_999]), queueLimit: 10_000, now: now).isEmpty)
    }

    @Test func eachConditionIsItsOwnIncident() {
        let found = HubAlertProbe.incidents(
            in: status(breaker: .open, limit: 14, expiry: now - 1, queued: [.backfill: 8_000, .interactive: 3]), queueLimit: 10_000, now: now
        )
        #expect(Set(found.keys) == [
            AlertIncident(kind: "circuit.open", provider: .kis), AlertIncident(kind: "budget.lowered", provider: .kis),
            AlertIncident(kind: "token.expired", provider: .kis), AlertIncident(kind: "queue.near_full", symbol: "backfill"),
        ])
        #expect(found[AlertIncident(kind: "budget.lowered", provider: .kis)]?.contains("14/s of the configured 18/s") == true)
        #expect(found[AlertIncident(kind: "queue.near_full", symbol: "backfill")]?.contains("8000 of 10000") == true)
        #expect(AlertSeverity.of(kind: "circuit.open") == .critical && AlertSeverity.of(kind: "budget.lowered") == .warning)
    }

    @Test func aFailedTokenIssuanceIsAnIncidentUntilOneSucceeds() {
        var failing = status(expiry: now + 3600)
        failing.providers[0].tokenIssueFailure = TokenManager.IssueFailure(at: now - 5, kind: .access, message: "broker.error: EGW00133 접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)")
        let found = HubAlertProbe.incidents(in: failing, queueLimit: 10_000, now: now)
        let message = found[AlertIncident(kind: "token.failed", provider: .kis)]
        #expect(message?.contains("access token could not be issued") == true && message?.contains("EGW00133") == true, "\(found)")
        #expect(AlertSeverity.of(kind: "token.failed") == .critical)
        #expect(HubAlertProbe.incidents(in: status(expiry: now + 3600), queueLimit: 10_000, now: now).isEmpty, "resolved once an issuance succeeds")
    }

    @Test func aHalfOpenBreakerIsNoLongerAnIncident() {
        #expect(HubAlertProbe.incidents(in: status(breaker: .halfOpen), queueLimit: 10_000, now: now).isEmpty)
    }
}
