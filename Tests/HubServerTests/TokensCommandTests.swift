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
}
