import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #16 item 7: `brokerhub tokens show|revoke` on a running hub's embedded store — what is stored, never a
/// token or a secret; a revoked token is revoked at the broker, and the running hub issues a new one once.
@Suite("brokerhub tokens", .timeLimit(.minutes(3)))
struct TokensCommandTests {
    @Test func showListsWithoutSecretsAndRevokeMakesTheHubIssueOnce() async throws {
        // KIS answers a second token within a minute with EGW00133: the mock allows one a second here.
        try await HubStack.with(mockArguments: ["--token-interval", "1"]) { stack in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200)
            let store = ["--data-dir", stack.mock.directory.appendingPathComponent("hub").path]
            let shown = try await ServerProcess.run(["tokens", "show", "--json"] + store, environment: stack.environment, directory: stack.mock.directory)
            #expect(shown.status == 0, "\(shown.output.suffix(800))")
            let rows = shown.output.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            let kis = try #require(rows.first { $0["provider"]?.stringValue == "kis" }, "\(shown.output.suffix(800))")
            #expect(kis["kind"]?.stringValue == "access" && kis["expired"] == .bool(false) && kis["fingerprint"]?.stringValue?.count == 8)
            #expect(kis["app_key"]?.stringValue == String(stack.kisAppKey.prefix(6)) + "…")
            #expect(!shown.output.contains(stack.kisAppKey) && !shown.output.contains(stack.kisSecret), "no app key or secret printed")
            #expect(!shown.output.contains("eyJ") && !shown.output.contains("access_token"), "no token printed")

            let refused = try await ServerProcess.run(["tokens", "revoke", "--provider", "kis"] + store, environment: stack.environment, directory: stack.mock.directory)
            #expect(refused.status == 64 && refused.output.contains("add --yes"))
            let revoked = try await ServerProcess.run(["tokens", "revoke", "--provider", "kis", "--yes"] + store, environment: stack.environment, directory: stack.mock.directory)
            #expect(revoked.status == 0 && revoked.output.contains("revoked kis"), "\(revoked.output.suffix(800))")
            #expect(try await stack.mockStats()["requests"]?["revokeP"]?.intValue == 1, "revoked at the broker")
            let again = try await ServerProcess.run(["tokens", "revoke", "--provider", "kis", "--yes"] + store, environment: stack.environment, directory: stack.mock.directory)
            #expect(again.status == 1 && again.output.contains("no access token stored"))

            // The hub still holds the revoked token: the broker refuses it, the hub issues one new token and answers.
            try await Task.sleep(for: .milliseconds(1_100))
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200)
            #expect(try await stack.mockStats()["tokens_issued"]?.intValue == 2)
        }
    }

    /// Issue #16 item 1: a standalone collector takes the hub's token from the hub's store, never a second one.
    @Test func aStandaloneCollectorUsesTheHubsToken() async throws {
        try await HubStack.with { stack in
            let quote = #"{"provider":"kiwoom","tr_id":"ka10001","params":{"stk_cd":"005930"}}"#
            #expect(try await Web.post(stack.hub.url + "/v1/execute", quote).status == 200)
            let collect = [
                "collect", "--mock", stack.mock.url, "--mock-credentials", stack.mock.directory.appendingPathComponent("credentials.json").path,
                "--provider", "kiwoom", "--symbols", "005930,000660", "--bus", "journal:" + stack.mock.directory.appendingPathComponent("bus.sqlite").path,
                "--always-open", "--duration", "3", "--data-dir", stack.mock.directory.appendingPathComponent("hub").path,
            ]
            let (status, output) = try await ServerProcess.run(collect, directory: stack.mock.directory)
            #expect(status == 0, "\(output.suffix(1200))")
            let kiwoom = try await stack.mockStats("kiwoom")
            #expect(kiwoom["tokens_issued"]?.intValue == 1 && kiwoom["tokens_reused"]?.intValue == 0, "the hub's token, not a second: \(kiwoom)")
            #expect((kiwoom["ws_sessions_total"]?.intValue ?? 0) >= 1 && (kiwoom["records_sent"]?.intValue ?? 0) > 0, "\(kiwoom)")
            #expect(output.contains("tokens from the hub's store"))
        }
    }
}
