import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

@Suite("Hub end to end: durability", .timeLimit(.minutes(5)), .serialized)
struct DurabilityTests {
    /// Jobs accepted before a crash are done after a restart: queued ones wait in SQLite, the one a killed
    /// worker held comes back when its lease expires.
    @Test func queuedJobsSurviveACrashAndRestart() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_WORKERS": "1", "BROKERHUB_LEASE_SECONDS": "2"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200) // token in the store
            try await stack.setFaults(#"{"hang_rate":1.0,"hang_seconds":5}"#)
            var ids: [String] = []
            for index in 0..<5 {
                let body = #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"timeout_ms":120000,"idempotency_key":"crash-\#(index)"}"#
                let answer = try await Web.post(stack.hub.url + "/v1/jobs", body)
                #expect(answer.status == 202)
                ids.append(try #require(answer.json?["id"]?.stringValue))
            }
            try await Task.sleep(for: .milliseconds(500))
            await stack.hub.kill()
            try await stack.setFaults("{}")
            let restarted = try await stack.restartHub()
            try await withCleanup({ await restarted.stop() }) { () async throws in
                var states: [String] = []
                for _ in 0..<150 {
                    states = []
                    for id in ids { states.append(try await Web.get(restarted.url + "/v1/jobs/\(id)").json?["state"]?.stringValue ?? "missing") }
                    if states.allSatisfy({ $0 == "succeeded" }) { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(states == Array(repeating: "succeeded", count: 5), "\(states)")
                let leases = try await Web.get(restarted.url + "/v1/jobs/\(ids[0])").json?["leases"]?.intValue
                #expect(leases == 2, "the crashed worker's task was leased again")
                #expect(try await stack.mockStats()["tokens_issued"]?.intValue == 1, "the restarted hub reused the stored token")
            }
        }
    }
}
