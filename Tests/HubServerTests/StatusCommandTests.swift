import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #16 item 7: `brokerhub status` shows a running hub on one screen, with its API key from the
/// environment, and says clearly (exit code and message) when the hub is not there or refuses the key.
@Suite("brokerhub status", .timeLimit(.minutes(3)))
struct StatusCommandTests {
    @Test func oneScreenOfARunningHub() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_API_KEYS": "status-key"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            let key = [("x-api-key", "status-key")]
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote(), headers: key).status == 200)
            let directory = stack.mock.directory
            let shown = try await ServerProcess.run(["status", "--hub", stack.hub.url], environment: ["BROKERHUB_API_KEY": "status-key"], directory: directory)
            #expect(shown.status == 0, "\(shown.output)")
            for fragment in ["BrokerHub at \(stack.hub.url) — embedded", "kis ", "kiwoom ", "closed", "queue: realtime_critical 0 · interactive 0", "budgets: as configured"] {
                #expect(shown.output.contains(fragment), "\(fragment): \(shown.output)")
            }
            #expect(!shown.output.contains(stack.kisAppKey) && !shown.output.contains(stack.kisSecret) && !shown.output.contains("status-key"), "no secret printed")
            let json = try await ServerProcess.run(["status", "--hub", stack.hub.url, "--json"], environment: ["BROKERHUB_API_KEY": "status-key"], directory: directory)
            let parsed = try JSONParser.parse(Array(json.output.utf8))
            #expect(json.status == 0 && parsed["providers"]?.arrayValue?.isEmpty == false)
            let refused = try await ServerProcess.run(["status", "--hub", stack.hub.url], directory: directory)
            #expect(refused.status == 77 && refused.output.contains("HTTP 401"), "\(refused.status) \(refused.output)")
            let absent = try await ServerProcess.run(["status", "--hub", "http://127.0.0.1:9", "--timeout", "3"], directory: directory)
            #expect(absent.status == 69 && absent.output.contains("not reachable"), "\(absent.status) \(absent.output)")
        }
    }
}
