import BrokerClients
import BrokerCore
@testable import Collector
import Foundation
import HubServer
import MockBroker
import Realtime
import Testing

/// Issue #12 item 6: a credential the broker refuses on a WebSocket (Kiwoom LOGIN 8005, a KIS approval key
/// the server no longer knows) is dropped and issued anew once, instead of being presented again forever.
@Suite("Collector: refused credentials are re-issued once", .timeLimit(.minutes(3)), .serialized)
struct CredentialRefusalTests {
    static func control(_ base: String, _ path: String) async throws {
        let answer = try await HTTPTransport().perform(provider: .kis, method: "POST", url: base + path, headers: [], body: [], timeout: .seconds(5))
        #expect(answer.status == 200, "\(path): \(answer.status)")
    }

    @Test(arguments: [Provider.kiwoom, .kis])
    func aRefusedCredentialIsReissuedAndTheSessionResumes(provider: Provider) async throws {
        try await CollectorHarness.withMock { broker, base in
            let (bus, _) = try CollectorHarness.journal()
            let account = try #require(CollectorHarness.accounts(broker, provider, base: base).first)
            var configuration = CollectorHarness.configuration(base: base, accounts: [account])
            configuration.want(provider, channels: [.ticker], symbols: ["005930", "000660"])
            let collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(try CollectorHarness.tokens()), logger: CollectorHarness.logger)
            try await CollectorHarness.running(collector) {
                try await CollectorHarness.eventually("first records") { collector.stats.snapshot.totalRecords >= 10 }
                // The broker forgets the credential, then drops the session: the reconnect presents the old one.
                try await Self.control(base, provider == .kis ? "/_mock/expire-approvals" : "/_mock/expire-tokens?provider=kiwoom")
                try await Self.control(base, "/_mock/disconnect")
                let before = collector.stats.snapshot.totalRecords
                try await CollectorHarness.eventually("records after the re-issue", seconds: 30) {
                    collector.stats.snapshot.totalRecords >= before + 10
                }
                #expect(collector.stats.snapshot.alerts["session.credential_reissued"] == 1)
                #expect(collector.stoppedSessions.isEmpty)
            }
            let stats = broker.stats.snapshot(provider)
            if provider == .kis {
                #expect(stats.approvalKeysIssued == 2, "one approval key, then one more after the refusal")
                #expect(stats.approvalKeysRejected == 0, "the re-issue respected 1 per second")
            } else {
                #expect(stats.tokensIssued == 2)
                #expect((stats.errors["8005"] ?? 0) >= 1)
            }
        }
    }

    @Test("paper accounts connect to the paper endpoints: KIS :31000, Kiwoom's mock server")
    func paperAccountsUseThePaperEndpoints() {
        let configuration = CollectorConfiguration()
        func account(_ provider: Provider, _ kind: BrokerAccount.Kind) -> BrokerAccount {
            BrokerAccount(provider: provider, appKey: "k", secret: "s", kind: kind, baseURL: "http://127.0.0.1:1")
        }
        #expect(configuration.webSocketURL(for: account(.kis, .real)) == "ws://ops.koreainvestment.com:21000")
        #expect(configuration.webSocketURL(for: account(.kis, .paper)) == "ws://ops.koreainvestment.com:31000")
        #expect(configuration.webSocketURL(for: account(.kiwoom, .real)) == "wss://api.kiwoom.com:10000/api/dostk/websocket")
        #expect(configuration.webSocketURL(for: account(.kiwoom, .paper)) == "wss://mockapi.kiwoom.com:10000/api/dostk/websocket")
        var mocked = configuration
        mocked.useMockBroker(base: "http://127.0.0.1:9")
        #expect(mocked.webSocketURL(for: account(.kis, .paper)) == "ws://127.0.0.1:9/tryitout")
        #expect(mocked.webSocketURL(for: account(.kiwoom, .real)) == "ws://127.0.0.1:9/api/dostk/websocket")
    }
}
