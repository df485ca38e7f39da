import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #16 item 1: the pipeline's processes are observable on their own — `collect` and `archive` serve
/// `/health`, `/ready` and `/metrics` with `--http-port`, and the archiver keeps the ledger gauges current.
@Suite(
    "Pipeline processes observable", .timeLimit(.minutes(5)),
    .enabled(if: PipelineRig.isAvailable, "needs BROKERHUB_TEST_REDIS_URL and BROKERHUB_TEST_POSTGRES_URL (scripts/test.sh starts both)")
)
struct ObservabilityTests {
    @Test func collectorAndArchiverServeMetricsAndTheLedgerGauges() async throws {
        try await PipelineRig.run("obs", archiverOptions: ["--http-port", "0"]) { rig, processes in
            await processes.collector?.stop()
            let ready = rig.directory.appendingPathComponent("collector-ready")
            processes.collector = try rig.startCollector(extra: ["--http-port", "0", "--ready-file", ready.path])
            try await waitUntil("the collector's endpoint", timeout: 30) { FileManager.default.fileExists(atPath: ready.path) }
            let collector = try #require((try? String(contentsOf: ready, encoding: .utf8))?.split(separator: "\n").first.map(String.init))
            #expect(try await Web.get(collector + "/health").status == 200)
            #expect(try await Web.get(collector + "/ready").status == 200)
            try await waitUntil("the collector publishes", timeout: 60) {
                Self.value(of: "brokerhub_collector_published_total", in: try await Web.get(collector + "/metrics").text) ?? 0 > 1_000
            }

            await processes.collector?.stop()
            let ledger = try await rig.waitForDrain()
            #expect(ledger.status == 0 && ledger.published > 1_000, "\(ledger.output.prefix(300)) archiver: \(processes.archiver?.output.suffix(3000) ?? "")")
            // Within a reading or two (one a second here), the archiver's gauges say what `ledger status` says.
            var gauges: (published: Int64?, stored: Int64?, missing: Int64?) = (nil, nil, nil)
            try await waitUntil("the ledger gauges match the ledger", timeout: 30) {
                let text = try await Web.get(rig.archiverURL + "/metrics").text
                let labels = [#"provider="kis""#, #"channel="ticker""#]
                gauges = (Self.value(of: "brokerhub_ledger_published", labels, in: text), Self.value(of: "brokerhub_ledger_stored", labels, in: text),
                          Self.value(of: "brokerhub_ledger_missing", labels, in: text))
                return gauges.published == ledger.published && gauges.stored == ledger.stored
            }
            #expect(gauges.published == ledger.published && gauges.stored == ledger.stored && gauges.missing == 0, "\(gauges) vs \(ledger.published)/\(ledger.stored)")
        }
    }

    /// Issue #16 item 2: `brokerhub alerts` hears the collector's alerts on the bus and pages a webhook once per
    /// incident — three WebSocket cuts are one `session.gap` incident, paged once, its repeats counted.
    @Test func alertsReachAWebhookOncePerIncident() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        try await PipelineRig.run("alerts") { rig, processes in
            let ready = rig.directory.appendingPathComponent("alerts-ready")
            // The webhook from the environment, as a Slack URL with its secret would be given; it never reaches the log.
            let alerts = try ServerProcess.launch(
                ["alerts", "--bus", rig.bus, "--webhook-format", "json", "--http-port", "0", "--ready-file", ready.path, "--log-level", "debug"],
                environment: ["BROKERHUB_ALERT_WEBHOOK_URL": receiver.url + "?token=T0PSECRETWEBHOOK"], directory: rig.directory
            )
            try await waitUntil("the alerts endpoint", timeout: 30) { FileManager.default.fileExists(atPath: ready.path) || !alerts.isRunning }
            let endpoint = try #require((try? String(contentsOf: ready, encoding: .utf8))?.split(separator: "\n").first.map(String.init), "\(alerts.output)")
            try await waitUntil("listening", timeout: 30) { try await Web.get(endpoint + "/ready").status == 200 }
            try await waitUntil("subscribed", timeout: 30) { try await rig.mockStats()["ws_subscriptions"]?.intValue == 3 }
            for round in 1...3 {
                let sessions = try await rig.mockStats()["ws_sessions_total"]?.intValue ?? 0
                #expect(try await Web.post(rig.mock.url + "/_mock/disconnect", "").status == 200)
                try await waitUntil("reconnected (round \(round))", timeout: 30) {
                    let stats = try await rig.mockStats()
                    return stats["ws_sessions_total"]?.intValue == sessions + 1 && stats["ws_subscriptions"]?.intValue == 3
                }
            }
            try await waitUntil("three gap alerts received", timeout: 30) {
                Self.value(of: "brokerhub_alerts_received_total", in: try await Web.get(endpoint + "/metrics").text) ?? 0 >= 3
            }
            let bodies = receiver.bodies
            #expect(bodies.count == 1 && bodies.first?.contains(#""kind":"session.gap""#) == true && bodies.first?.contains(#""stage":"opened""#) == true, "\(bodies)")
            let metrics = try await Web.get(endpoint + "/metrics").text
            #expect(Self.value(of: "brokerhub_alerts_delivered_total", [#"sink="webhook""#], in: metrics) == 1, "\(metrics.prefix(2000))")
            await alerts.stop()
            #expect(!alerts.output.contains("T0PSECRETWEBHOOK"), "the webhook URL is not logged")
        }
        await receiver.stop()
    }

    /// Issue #16 item 2: `serve` with BROKERHUB_ALERT_BUS hears the pipeline's system channel itself — a WebSocket cut
    /// the collector reports reaches the hub's webhook and its dashboard's recent alerts, no `brokerhub alerts` beside it.
    @Test func serveAloneDeliversThePipelinesAlerts() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        try await PipelineRig.run("servealerts") { rig, _ in
            let keys = try #require(try JSONParser.parse(Array(Data(contentsOf: rig.credentials)))["keys"]?.arrayValue)
            let kis = try #require(keys.first { $0["provider"]?.stringValue == "kis" && $0["kind"]?.stringValue == "real" })
            let hub = try await ServerProcess.start(["serve", "--port", "0", "--in-memory"], environment: [
                "BROKERHUB_KIS_APPKEY": kis["appKey"]!.text, "BROKERHUB_KIS_APPSECRET": kis["secret"]!.text, "BROKERHUB_KIS_BASE_URL": rig.mock.url,
                "BROKERHUB_ALERT_WEBHOOK_URL": receiver.url, "BROKERHUB_ALERT_WEBHOOK_FORMAT": "json", "BROKERHUB_ALERT_BUS": rig.bus,
            ], directory: rig.directory)
            try await withCleanup({ await hub.stop() }) { () async throws in
                try await waitUntil("subscribed", timeout: 30) { try await rig.mockStats()["ws_subscriptions"]?.intValue == 3 }
                // The hub listens live: give its subscription a moment before the cut.
                try await Task.sleep(for: .seconds(1))
                #expect(try await Web.post(rig.mock.url + "/_mock/disconnect", "").status == 200)
                let pages = try await receiver.waitForBodies(1)
                #expect(pages.first?.contains(#""kind":"session.gap""#) == true, "\(pages)")
                let status = try #require(try await Web.get(hub.url + "/v1/status").json)
                let recent = status["recent_alerts"]?.arrayValue ?? []
                #expect(status["alerts_enabled"] == .bool(true) && recent.contains { $0["kind"]?.stringValue == "session.gap" }, "\(recent)")
            }
        }
        await receiver.stop()
    }

    /// The value of the sample of metric `name` carrying every one of `labels` (in any order) in a text exposition.
    static func value(of name: String, _ labels: [String] = [], in text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + (labels.isEmpty ? " " : "{")) {
            guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else { continue }
            return Double(value).map { Int64($0) }
        }
        return nil
    }
}
