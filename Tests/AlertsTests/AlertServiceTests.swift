import Alerts
import BrokerCore
import BrokerHubTesting
import Foundation
import Logging
import ProcessTestSupport
import Realtime
import Testing

/// `AlertService` end to end on a real journal bus and a real local webhook: alerts published on the
/// `system` channel reach the webhook once per incident, repeats are suppressed, resolution is sent, a
/// webhook that is down is retried with backoff, and nothing holds up the bus.
@Suite("Alert delivery", .timeLimit(.minutes(2)))
struct AlertServiceTests {
    static func alert(_ kind: String, symbol: String? = nil, provider: Provider = .kis, id: String) -> RealtimeEvent {
        let alert = RealtimeAlert(kind: kind, message: "\(kind) happened", provider: provider, symbol: symbol, at: Date())
        return RealtimeEvent(id: id, channel: .system, provider: provider, symbol: kind, receivedAt: Date(), payload: .alert(alert))
    }

    static func withBus(_ body: (JournalEventBus) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bh-alerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bus = try JournalEventBus(path: directory.appendingPathComponent("bus.sqlite").path)
        do {
            try await body(bus)
        } catch {
            try? bus.close()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        try? bus.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `service` until `body` returns.
    static func running(_ service: AlertService, _ body: () async throws -> Void) async throws {
        let task = Task { try await service.run() }
        do {
            try await waitUntil { service.isListening }
            try await body()
        } catch {
            task.cancel()
            _ = await task.result
            throw error
        }
        task.cancel()
        _ = await task.result
    }

    static func waitUntil(timeout: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func eachIncidentReachesTheWebhookOnceAndItsResolutionToo() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        let clock = ManualClock()
        var settings = AlertService.Settings()
        settings.policy.resolveAfter = .seconds(600)
        settings.policy.reminderInterval = .seconds(1800)
        let deliverer = AlertDeliverer(sink: WebhookAlertSink(url: receiver.url, format: .json), clock: clock, logger: Logger(label: "test.alerts"))
        try await Self.withBus { bus in
            let service = AlertService(bus: bus, deliverers: [deliverer], settings: settings, clock: clock, logger: Logger(label: "test.alerts"))
            try await Self.running(service) {
                let kinds = ["session.replaced", "subscription.refused", "reconnect.exhausted", "parser.failure", "watchdog.silence", "rawlog.disk_full"]
                // Every kind three times over (the same incident repeating).
                var events: [RealtimeEvent] = []
                for round in 0..<3 {
                    events += kinds.map { Self.alert($0, symbol: $0 == "subscription.refused" ? "005930" : nil, id: "a-\(round)-\($0)") }
                }
                try await bus.publish(events)
                let pages = try await receiver.waitForBodies(kinds.count)
                #expect(pages.count == kinds.count)
                for kind in kinds {
                    #expect(pages.filter { $0.contains(#""kind":"\#(kind)""#) && $0.contains(#""stage":"opened""#) }.count == 1, "\(kind): \(pages)")
                }
                #expect(pages.filter { $0.contains(#""severity":"critical""#) }.count == 3, "session.replaced, reconnect.exhausted, rawlog.disk_full")
                try await Self.waitUntil { service.openIncidents.count == kinds.count }
                try await Task.sleep(for: .milliseconds(200))
                #expect(receiver.bodies.count == kinds.count, "repeats are not paged")
                // Ten quiet minutes later each incident is resolved, once.
                clock.advance(by: .seconds(601))
                service.tick()
                let all = try await receiver.waitForBodies(2 * kinds.count)
                #expect(all.filter { $0.contains(#""stage":"resolved""#) }.count == kinds.count, "\(all.suffix(6))")
                service.tick()
                try await Task.sleep(for: .milliseconds(200))
                #expect(receiver.bodies.count == 2 * kinds.count, "resolved once")
            }
        }
        await receiver.stop()
    }

    @Test func aWebhookThatIsDownIsRetriedWithBackoffAndHoldsNothingUp() async throws {
        let receiver = WebhookReceiver(failing: [503, 503, 500])
        try await receiver.start()
        let clock = ManualClock()
        let deliverer = AlertDeliverer(sink: WebhookAlertSink(url: receiver.url), clock: clock, logger: Logger(label: "test.alerts"))
        try await Self.withBus { bus in
            let service = AlertService(bus: bus, deliverers: [deliverer], clock: clock, logger: Logger(label: "test.alerts"))
            try await Self.running(service) {
                try await bus.publish([Self.alert("session.replaced", id: "d-1")])
                // Three refusals, with 1 s, 2 s and 4 s of backoff between them (on the manual clock).
                for (refusals, delay) in [(1, 1), (2, 2), (3, 4)] {
                    try await Self.waitUntil { receiver.refused == refusals && clock.sleeperCount >= 2 }
                    // Meanwhile the bus and the policy go on: other alerts are taken at once.
                    try await bus.publish([Self.alert("watchdog.silence", symbol: "S\(refusals)", id: "d-w\(refusals)")])
                    try await Self.waitUntil { service.openIncidents.count == 1 + refusals }
                    clock.advance(by: .seconds(delay - 1))
                    #expect(receiver.refused == refusals, "no retry before the backoff")
                    clock.advance(by: .seconds(1))
                }
                let bodies = try await receiver.waitForBodies(4)
                #expect(bodies.first?.hasPrefix(#"{"text":"[CRITICAL] session.replaced kis"#) == true, "\(bodies)")
                #expect(bodies.count == 4, "the page, then the three alerts that queued behind it: \(bodies)")
                #expect(deliverer.statistics.retries == 3 && deliverer.statistics.delivered == 4)
            }
        }
        await receiver.stop()
    }

    @Test func aWebhookThatRefusesTheBodyIsNotRetried() async throws {
        let receiver = WebhookReceiver(failing: [400])
        try await receiver.start()
        let deliverer = AlertDeliverer(sink: WebhookAlertSink(url: receiver.url), clock: ManualClock(), logger: Logger(label: "test.alerts"))
        let service = AlertService(bus: nil, deliverers: [deliverer], logger: Logger(label: "test.alerts"))
        try await Self.running(service) {
            service.raise(AlertIncident(kind: "circuit.open", provider: .kiwoom), message: "breaker open")
            service.raise(AlertIncident(kind: "token.failed", provider: .kiwoom), message: "token refused")
            let bodies = try await receiver.waitForBodies(1)
            #expect(bodies.count == 1 && bodies[0].contains("token.failed"), "the 400 was given up at once: \(bodies)")
            #expect(deliverer.statistics.failed == 1 && deliverer.statistics.retries == 0)
        }
        await receiver.stop()
    }

    @Test func aLogFileGetsOneJSONLinePerNotice() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bh-alerts-\(UUID().uuidString).jsonl").path
        let deliverer = AlertDeliverer(sink: FileAlertSink(path: path), logger: Logger(label: "test.alerts"))
        let service = AlertService(bus: nil, deliverers: [deliverer], logger: Logger(label: "test.alerts"))
        try await Self.running(service) {
            let incident = AlertIncident(kind: "circuit.open", provider: .kis)
            service.raise(incident, message: "breaker open")
            service.raise(incident, message: "breaker open")
            service.resolve(incident)
            try await Self.waitUntil { deliverer.statistics.delivered == 2 }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[0].contains(#""stage":"opened""#) && lines[1].contains(#""stage":"resolved""#), "\(lines)")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try? FileManager.default.removeItem(atPath: path)
    }
}
