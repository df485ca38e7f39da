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
        try await PipelineRig.run("obs", archiverOptions: ["--http-port", "0", "--ledger-seconds", "1"]) { rig, processes in
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

    /// The value of the sample of metric `name` carrying every one of `labels` (in any order) in a text exposition.
    static func value(of name: String, _ labels: [String] = [], in text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + (labels.isEmpty ? " " : "{")) {
            guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else { continue }
            return Double(value).map { Int64($0) }
        }
        return nil
    }
}
