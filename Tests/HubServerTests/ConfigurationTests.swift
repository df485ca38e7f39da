import BrokerCore
import Foundation
import HubServer
import Testing

@Suite("Hub configuration", .timeLimit(.minutes(1)))
struct ConfigurationTests {
    @Test("defaults follow the brokers' current limits: KIS 18/s real, 1/s paper, approval keys 1 per second")
    func defaults() throws {
        let configuration = try HubConfiguration.load(environment: [:])
        #expect(configuration.limits.kisRealPerSecond == 18)
        #expect(configuration.limits.kisPaperPerSecond == 1)
        #expect(configuration.tokens.approvalIssueInterval == .seconds(1))
        #expect(configuration.drainDuration == .seconds(15))
    }

    @Test("BROKERHUB_* variables override a config file; a bad number is a clear error naming the key")
    func environmentOverFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bh-config-\(UUID().uuidString).json")
        try #"{"kis_rate": 15, "approval_interval_seconds": 3, "drain_seconds": 4}"#.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try HubConfiguration.load(
            environment: ["BROKERHUB_APPROVAL_INTERVAL_SECONDS": "1.5", "BROKERHUB_KIS_PAPER_RATE": "2"], file: file.path
        )
        try? FileManager.default.removeItem(at: file)
        #expect(configuration.limits.kisRealPerSecond == 15)
        #expect(configuration.limits.kisPaperPerSecond == 2)
        #expect(configuration.tokens.approvalIssueInterval == .milliseconds(1_500))
        #expect(configuration.drainDuration == .seconds(4))
        let error = #expect(throws: BrokerHubError.self) {
            try HubConfiguration.load(environment: ["BROKERHUB_APPROVAL_INTERVAL_SECONDS": "soon"])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("approval_interval_seconds") == true)
    }

    @Test("switches: orders, approval keys and budget learning; a value that is not a switch is an error")
    func switches() throws {
        let off = try HubConfiguration.load(environment: [:])
        #expect(!off.proxyOrders && !off.proxyApprovalKeys && off.learning.enabled)
        let on = try HubConfiguration.load(environment: [
            "BROKERHUB_PROXY_ORDERS": "true", "BROKERHUB_PROXY_APPROVAL_KEYS": "on", "BROKERHUB_LEARN_BUDGETS": "false",
        ])
        #expect(on.proxyOrders && on.proxyApprovalKeys && !on.learning.enabled)
        let error = #expect(throws: BrokerHubError.self) { try HubConfiguration.load(environment: ["BROKERHUB_PROXY_ORDERS": "sometimes"]) }
        #expect(error?.message.contains("proxy_orders") == true)
    }
}
