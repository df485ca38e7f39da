import Alerts
import BrokerCore
import Foundation
import Testing

/// The alert policy on its own: one page per incident, reminders, resolution, the per-kind rate limit.
@Suite("Alert policy")
struct AlertPolicyTests {
    let start = Date(timeIntervalSince1970: 1_764_000_000)
    let replaced = AlertIncident(kind: "session.replaced", provider: .kis, symbol: nil)

    func settings() -> AlertPolicy.Settings {
        var settings = AlertPolicy.Settings()
        settings.reminderInterval = .seconds(600)
        settings.resolveAfter = .seconds(300)
        settings.pagesPerKind = 3
        settings.rateWindow = .seconds(3600)
        return settings
    }

    @Test func anIncidentPagesOnceThenRemindsThenResolves() {
        var policy = AlertPolicy(settings: settings())
        let opened = policy.raise(replaced, message: "another login took the session", at: start)
        #expect(opened.map(\.stage) == [.opened] && opened.first?.severity == .critical)
        // Repeats are folded into the incident, not paged.
        for second in stride(from: 10, through: 590, by: 10) {
            #expect(policy.raise(replaced, message: "again", at: start + Double(second)).isEmpty)
        }
        #expect(policy.tick(at: start + 599).isEmpty, "no reminder before the interval")
        let reminder = policy.tick(at: start + 600)
        #expect(reminder.map(\.stage) == [.reminder] && reminder.first?.repeats == 59, "\(reminder)")
        #expect(reminder.first?.line.contains("59 more") == true)
        #expect(policy.tick(at: start + 700).isEmpty, "no repeats since the reminder: nothing to remind of")
        // Last seen at +590: resolved 300 s later.
        #expect(policy.tick(at: start + 889).isEmpty)
        let resolved = policy.tick(at: start + 890)
        #expect(resolved.map(\.stage) == [.resolved] && resolved.first?.severity == .info && resolved.first?.openedAt == start)
        #expect(policy.openIncidents.isEmpty)
        // Once resolved, the same incident pages again.
        #expect(policy.raise(replaced, message: "again", at: start + 1000).map(\.stage) == [.opened])
    }

    @Test func incidentsAreTheirKindProviderAndSymbol() {
        var policy = AlertPolicy(settings: settings())
        let refusedA = AlertIncident(kind: "subscription.refused", provider: .kiwoom, symbol: "005930")
        let refusedB = AlertIncident(kind: "subscription.refused", provider: .kiwoom, symbol: "000660")
        let refusedKIS = AlertIncident(kind: "subscription.refused", provider: .kis, symbol: "005930")
        for incident in [refusedA, refusedB, refusedKIS, refusedA] {
            _ = policy.raise(incident, message: "refused", at: start)
        }
        #expect(policy.openIncidents == [refusedKIS, refusedB, refusedA].sorted())
        #expect(AlertSeverity.of(kind: "subscription.refused") == .warning)
    }

    @Test func aStormOfOneKindPagesAFewTimesAndSaysHowManyMore() {
        var policy = AlertPolicy(settings: settings())
        var pages: [AlertNotice] = []
        for index in 0..<40 {
            pages += policy.raise(AlertIncident(kind: "subscription.refused", provider: .kis, symbol: "S\(index)"), message: "refused", at: start + Double(index))
        }
        #expect(pages.count == 3, "the per-kind limit")
        // Another kind is not held back by the storm.
        #expect(policy.raise(replaced, message: "x", at: start + 50).count == 1)
        // Quiet incidents resolve: the three paged ones with a message, the 37 the limit kept quiet without one.
        let resolved = policy.tick(at: start + 345)
        #expect(resolved.count == 3 && resolved.allSatisfy { $0.stage == .resolved && $0.incident.kind == "subscription.refused" }, "\(resolved.map(\.incident))")
        #expect(policy.openIncidents == [replaced])
        // After the window a new incident of the kind pages again, and names what was not paged.
        let later = policy.raise(AlertIncident(kind: "subscription.refused", provider: .kis, symbol: "late"), message: "refused", at: start + 3700)
        #expect(later.count == 1 && later.first?.suppressed == 37, "\(later)")
        #expect(later.first?.line.contains("+37 other subscription.refused incidents") == true)
    }

    @Test func aSourceCanResolveItsIncident() {
        var policy = AlertPolicy(settings: settings())
        let breaker = AlertIncident(kind: "circuit.open", provider: .kis)
        _ = policy.raise(breaker, message: "breaker open", at: start)
        let resolved = policy.resolve(breaker, at: start + 42)
        #expect(resolved.map(\.stage) == [.resolved] && resolved.first?.line.hasPrefix("[RESOLVED] circuit.open kis") == true)
        #expect(policy.resolve(breaker, at: start + 43).isEmpty, "resolved once")
    }

    @Test func bodiesCarryEveryField() throws {
        var policy = AlertPolicy(settings: settings())
        let notice = try #require(policy.raise(replaced, message: "line \"1\"\nline 2", at: start).first)
        let json = notice.json
        for fragment in [#""stage":"opened""#, #""severity":"critical""#, #""kind":"session.replaced""#, #""provider":"kis""#, #""message":"line \"1\"\nline 2""#, #""repeats":0"#] {
            #expect(json.contains(fragment), "\(json)")
        }
        #expect(notice.slackJSON.hasPrefix(#"{"text":"[CRITICAL] session.replaced kis: line"#), "\(notice.slackJSON)")
    }

    @Test func backoffDoublesToItsCap() {
        let delays = (1...8).map { AlertDeliverer.backoff(afterAttempt: $0, first: .seconds(1), cap: .seconds(60)) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32), .seconds(60), .seconds(60)])
    }
}
