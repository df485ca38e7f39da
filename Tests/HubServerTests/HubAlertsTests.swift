import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #16 item 2: the hub's own events reach a person. With `BROKERHUB_ALERT_WEBHOOK_URL` set, a breaker that
/// opens pages the webhook once, and its closing again sends the resolution.
@Suite("Hub alerts", .timeLimit(.minutes(3)))
struct HubAlertsTests {
    @Test func anOpenBreakerPagesOnceAndItsClosingResolves() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        let stack = try await HubStack.start(hubEnvironment: [
            "BROKERHUB_ALERT_WEBHOOK_URL": receiver.url + "?token=HUBWEBHOOKSECRET", "BROKERHUB_ALERT_WEBHOOK_FORMAT": "json",
            "BROKERHUB_ALERT_CHECK_SECONDS": "0.2", "BROKERHUB_BREAKER_FAILURES": "2", "BROKERHUB_BREAKER_OPEN_SECONDS": "2",
            "BROKERHUB_RETRY_ATTEMPTS": "1",
        ])
        try await withCleanup({ await stack.stop(); await receiver.stop() }) { () async throws in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200)
            try await stack.setFaults(#"{"server_error_rate":1}"#)
            for _ in 0..<4 { _ = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()) }
            let pages = try await receiver.waitForBodies(1)
            #expect(pages.count == 1 && pages[0].contains(#""kind":"circuit.open""#) && pages[0].contains(#""stage":"opened""#)
                && pages[0].contains(#""provider":"kis""#) && pages[0].contains(#""severity":"critical""#), "\(pages)")
            // More failing calls while it is open: the same incident, not another page.
            for _ in 0..<3 { _ = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()) }
            try await Task.sleep(for: .milliseconds(600))
            #expect(receiver.bodies.count == 1, "\(receiver.bodies)")
            // The broker recovers; after the open time a call closes the breaker and the incident is resolved.
            try await stack.setFaults("{}")
            try await Task.sleep(for: .seconds(2.2))
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200)
            let all = try await receiver.waitForBodies(2)
            #expect(all.count == 2 && all[1].contains(#""stage":"resolved""#) && all[1].contains(#""kind":"circuit.open""#), "\(all)")
            let metrics = try await Web.get(stack.hub.url + "/metrics").text
            #expect(metrics.contains(#"brokerhub_alerts_delivered_total{sink="webhook"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("alerts") })")
            #expect(!stack.hub.output.contains("HUBWEBHOOKSECRET"), "the webhook URL is never logged")
        }
    }
}
